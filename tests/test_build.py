"""releasekit build: sdist and wheel once, checked, with SHA256SUMS; and verify_dist."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tarfile
import time
import zipfile
from collections.abc import Callable
from email.parser import BytesParser
from pathlib import Path

import pytest
from buildsample import fake_files, sample_files, use_real_caches
from conftest import BIN, GitRepo, run_cli, snapshot

from releasekit.build import (
    SUMS,
    build,
    inspect_artifact,
    read_sums,
    verify_dist,
    write_sums,
)
from releasekit.errors import BuildError
from releasekit.files import sha256_of
from releasekit.project import load_project

# conftest commits with this committer date; SOURCE_DATE_EPOCH must be it.
COMMIT_TIME = 1767225600  # 2026-01-01T00:00:00Z
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _caches(monkeypatch: pytest.MonkeyPatch) -> None:
    use_real_caches(monkeypatch)


@pytest.fixture
def sample(make_repo: Callable[..., GitRepo]) -> GitRepo:
    """A real git repository holding the small hatchling sample project."""
    return make_repo(sample_files())


def _metadata(path: Path) -> dict[str, str]:
    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            raw = archive.read("sample-1.2.0.dist-info/METADATA")
    else:
        with tarfile.open(path) as archive:
            stream = archive.extractfile("sample-1.2.0/PKG-INFO")
            assert stream is not None
            raw = stream.read()
    return dict(BytesParser().parsebytes(raw, headersonly=True).items())


# --- the happy path ---------------------------------------------------------------------


@pytest.mark.slow
def test_build_makes_checked_sdist_wheel_and_sums(sample: GitRepo) -> None:
    result = run_cli(sample.path, "build")
    assert result.code == 0, result.err
    dist = sample.path / "dist"
    assert sorted(p.name for p in dist.iterdir()) == [
        SUMS,
        "sample-1.2.0-py3-none-any.whl",
        "sample-1.2.0.tar.gz",
    ]
    sdist, wheel = dist / "sample-1.2.0.tar.gz", dist / "sample-1.2.0-py3-none-any.whl"
    for path in (sdist, wheel):
        assert _metadata(path)["Version"] == "1.2.0"
        assert _metadata(path)["Name"] == "sample"
        assert f"built {path}  sha256 {sha256_of(path)}" in result.out
    # sdist first, then the wheel, in the format sha256sum writes.
    expected = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in (sdist, wheel)
    )
    assert (dist / SUMS).read_text() == expected
    check = subprocess.run(
        ["sha256sum", "--check", "--strict", SUMS],
        cwd=dist,
        capture_output=True,
        check=False,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert verify_dist(dist) == [sdist, wheel]
    # every archive member carries the HEAD commit's time (SOURCE_DATE_EPOCH)
    assert f"SOURCE_DATE_EPOCH={COMMIT_TIME}" in result.out
    with tarfile.open(sdist) as archive:
        assert {member.mtime for member in archive.getmembers()} == {COMMIT_TIME}
    with zipfile.ZipFile(wheel) as archive:
        stamp = time.gmtime(COMMIT_TIME)[:6]
        assert {info.date_time for info in archive.infolist()} == {stamp}


def test_build_at_a_matching_release_tag(make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(fake_files())
    repo.git("tag", "v1.2.0")
    result = build(repo.path)
    assert [str(a.version) for a in result.artifacts] == ["1.2.0", "1.2.0"]


@pytest.mark.slow
def test_reproducible_under_other_umask_tz_and_path(sample: GitRepo, tmp_path: Path) -> None:
    first = tmp_path / "a"
    second = tmp_path / "deeper" / "checkout" / "b"
    builds = []
    for clone, umask, tz in ((first, "022", "UTC"), (second, "077", "Pacific/Kiritimati")):
        clone.parent.mkdir(parents=True, exist_ok=True)
        script = f'umask {umask} && git clone -q "$1" "$2" && cd "$2" && exec "$3" build'
        done = subprocess.run(
            ["sh", "-c", script, "sh", str(sample.path), str(clone), str(BIN / "releasekit")],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "TZ": tz},
        )
        assert done.returncode == 0, done.stderr
        builds.append(snapshot(clone / "dist"))
    # the checkouts really differ: file modes follow the umask
    mode = (first / "src/sample/__init__.py").stat().st_mode & 0o777
    other = (second / "src/sample/__init__.py").stat().st_mode & 0o777
    assert (mode, other) == (0o644, 0o600)
    assert sorted(builds[0]) == [SUMS, "sample-1.2.0-py3-none-any.whl", "sample-1.2.0.tar.gz"]
    assert builds[0] == builds[1]


@pytest.mark.slow
@pytest.mark.repo_files
def test_releasekit_builds_itself(tmp_path: Path) -> None:
    # Names, metadata and sums only: its own suite runs in `nox -s test_wheel`.
    out = tmp_path / "dist"
    result = build(REPO_ROOT, outdir=out)
    names = sorted(a.path.name for a in result.artifacts)
    version = inspect_artifact(result.artifacts[0].path).version
    assert names == [f"releasekit-{version}-py3-none-any.whl", f"releasekit-{version}.tar.gz"]
    assert {str(a.name) for a in result.artifacts} == {"releasekit"}
    assert str(version) == str(load_project(REPO_ROOT).version)
    assert verify_dist(out) == [a.path for a in result.artifacts]


# --- refusals: nothing changes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("stale", "door"),
    [
        ("sample-1.1.0.tar.gz", "releasekit"),
        (".publish.attestation", "module"),
        ("sample.sigstore.json", "invoke"),
        (SUMS, "releasekit"),
    ],
)
def test_refuses_a_dist_that_holds_other_files(sample: GitRepo, stale: str, door: str) -> None:
    (sample.path / "dist").mkdir()
    (sample.path / "dist" / stale).write_text("old\n")
    before = sample.state()
    result = run_cli(sample.path, "build", door=door)
    assert result.code == 1
    assert result.err.startswith("releasekit: error: ")
    assert len(result.err.strip().splitlines()) == 1
    assert repr(stale) in result.err
    assert "--clean" in result.err
    assert sample.state() == before


def test_bad_installer_is_a_usage_error(sample: GitRepo) -> None:
    before = sample.state()
    result = run_cli(sample.path, "build", "--installer", "conda")
    assert (result.code, result.err.strip()) == (
        2,
        "releasekit: error: --installer 'conda' is not 'uv' or 'pip' "
        "(default: uv when present, else pip)",
    )
    assert sample.state() == before


def test_refuses_when_head_is_tagged_for_another_version(sample: GitRepo) -> None:
    sample.git("tag", "v1.3.0")
    before = sample.state()
    result = run_cli(sample.path, "build")
    assert result.code == 1
    assert "release tag 'v1.3.0' (version '1.3.0')" in result.err
    assert "'1.2.0'" in result.err
    assert sample.state() == before


def test_refuses_outside_git_without_source_date_epoch(tmp_path: Path) -> None:
    project = tmp_path / "plain"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "sample"\nversion = "1.0"\n')
    before = snapshot(project)
    result = run_cli(project, "build")
    assert result.code == 1
    assert "SOURCE_DATE_EPOCH" in result.err
    assert snapshot(project) == before


def test_clean_removes_stale_files_only_after_a_good_build(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo(fake_files())
    dist = repo.path / "dist"
    dist.mkdir()
    (dist / "sample-1.1.0.tar.gz").write_text("old\n")
    (dist / ".publish.attestation").write_text("old\n")
    result = run_cli(repo.path, "build", "--clean")
    assert result.code == 0, result.err
    assert "removed .publish.attestation" in result.out
    assert "uncommitted" not in result.err
    assert sorted(p.name for p in dist.iterdir()) == [
        SUMS,
        "sample-1.2.0-py3-none-any.whl",
        "sample-1.2.0.tar.gz",
    ]


@pytest.mark.slow
def test_clean_keeps_old_files_out_of_the_new_sdist(sample: GitRepo) -> None:
    out = sample.path / "out"  # not ignored: hatchling would pack what it holds
    out.mkdir()
    (out / "old-notes.txt").write_text("stale\n")
    result = run_cli(sample.path, "build", "--clean", "--outdir", "out")
    assert result.code == 0, result.err
    with tarfile.open(out / "sample-1.2.0.tar.gz") as archive:
        names = archive.getnames()
    assert "sample-1.2.0/src/sample/__init__.py" in names
    assert not [name for name in names if "old-notes" in name]
    assert not (out / "old-notes.txt").exists()


def test_a_dirty_work_tree_is_noted(make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(fake_files())
    (repo.path / "notes.txt").write_text("not committed\n")
    result = run_cli(repo.path, "build")
    assert result.code == 0, result.err
    assert "releasekit: note: the work tree has uncommitted changes" in result.err


# Fault injection: an in-tree backend builds exactly the wrong thing asked of it.
FAULTS = [
    pytest.param(
        {"fail": "backend exploded on purpose"}, "backend exploded on purpose", id="fails"
    ),
    pytest.param(
        {"file_version": "2.0.0", "meta_version": "2.0.0"},
        "has version '2.0.0' but the project version is '1.2.0'",
        id="other-version",
    ),
    pytest.param(
        {"wheel_meta_version": "1.2.1"},
        "'sample-1.2.0-py3-none-any.whl' is named for version '1.2.0' but its metadata "
        "Version is '1.2.1'",
        id="metadata-disagrees",
    ),
    pytest.param({"description": False}, "twine check --strict failed", id="twine-strict"),
]


@pytest.mark.parametrize(("conf", "message"), FAULTS)
def test_a_bad_build_changes_nothing(
    make_repo: Callable[..., GitRepo], conf: dict[str, object], message: str
) -> None:
    repo = make_repo(fake_files(**conf))
    (repo.path / "dist").mkdir()
    (repo.path / "dist" / "sample-1.1.0.tar.gz").write_text("stale but kept\n")
    before = repo.state()
    result = run_cli(repo.path, "build", "--clean")
    assert result.code == 1, result.out
    assert result.err.startswith("releasekit: error: ")
    assert message in result.err
    assert repo.state() == before


# --- inspect_artifact and verify_dist ---------------------------------------------------


def _wheel(path: Path, version: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "sample-1.2.0.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: sample\nVersion: {version}\n",
        )
    return path


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("sample-1.2.0.zip", "is neither a wheel (.whl) nor an sdist (.tar.gz)"),
        ("sample.whl", "is not a valid distribution file name"),
    ],
)
def test_inspect_refuses_bad_names(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(BuildError, match=re.escape(message)):
        inspect_artifact(_wheel(tmp_path / name, "1.2.0"))


def test_inspect_refuses_a_wheel_without_metadata(tmp_path: Path) -> None:
    path = tmp_path / "sample-1.2.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sample/__init__.py", "")
    with pytest.raises(BuildError, match=r"has no single \*\.dist-info/METADATA"):
        inspect_artifact(path)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A dist/ with a wheel and an sdist-named file, and their sums."""
    folder = tmp_path / "dist"
    folder.mkdir()
    wheel = _wheel(folder / "sample-1.2.0-py3-none-any.whl", "1.2.0")
    sdist = folder / "sample-1.2.0.tar.gz"
    sdist.write_bytes(b"sdist bytes")
    artifacts = [inspect_artifact(wheel)]
    write_sums(folder, artifacts)
    text = f"{sha256_of(sdist)}  {sdist.name}\n" + (folder / SUMS).read_text()
    (folder / SUMS).write_text(text)
    return folder


def test_verify_dist_accepts_what_was_written(dist: Path) -> None:
    assert [p.name for p in verify_dist(dist)] == [
        "sample-1.2.0.tar.gz",
        "sample-1.2.0-py3-none-any.whl",
    ]
    assert [name for _, name in read_sums(dist)] == [p.name for p in verify_dist(dist)]


def _flip_a_byte(dist: Path) -> None:
    path = dist / "sample-1.2.0.tar.gz"
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (_flip_a_byte, "'sample-1.2.0.tar.gz' has SHA-256 "),
        (lambda d: (d / "sample-1.2.0.tar.gz").unlink(), "is listed in SHA256SUMS but missing"),
        (lambda d: (d / "sample-9.0-py3-none-any.whl").write_bytes(b"x"), "does not list"),
        (lambda d: (d / SUMS).unlink(), "run 'releasekit build'"),
        (lambda d: (d / SUMS).write_text(""), "exactly once"),
        (lambda d: (d / SUMS).write_text(f"{'0' * 64}  ../escape.whl\n"), "line 1 is not"),
        (lambda d: (d / SUMS).write_text("not a sum line\n"), "line 1 is not"),
        (
            lambda d: (d / SUMS).write_text((d / SUMS).read_text() * 2),
            "exactly once",
        ),
    ],
)
def test_verify_dist_refuses_tampering(
    dist: Path, fault: Callable[[Path], object], message: str
) -> None:
    fault(dist)
    before = snapshot(dist)
    with pytest.raises(BuildError, match=re.escape(message)):
        verify_dist(dist)
    assert snapshot(dist) == before


def test_sums_are_read_by_sha256sum(dist: Path) -> None:
    check = subprocess.run(
        ["sha256sum", "--check", SUMS], cwd=dist, capture_output=True, check=False
    )
    assert check.returncode == 0
    _flip_a_byte(dist)
    check = subprocess.run(
        ["sha256sum", "--check", SUMS], cwd=dist, capture_output=True, check=False
    )
    assert check.returncode == 1


def test_outside_git_source_date_epoch_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "unpacked"
    project.mkdir()
    for name, content in fake_files().items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else content.decode())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = build(project)
    assert result.source_date_epoch == 1700000000
    assert [a.path.name for a in result.artifacts] == [
        "sample-1.2.0.tar.gz",
        "sample-1.2.0-py3-none-any.whl",
    ]
