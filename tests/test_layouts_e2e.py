"""Versions as real projects keep them, end to end: real git with a bare remote, the real
CLI, the real build backends from the registry and a real `releasekit build`.

Each fixture is modelled on a public project (named in its comment); the text is ours.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Callable
from email.parser import BytesParser
from pathlib import Path

import pytest
from buildsample import use_real_caches
from conftest import GitRepo, git, run_cli
from packaging.version import Version

MakeRepo = Callable[..., GitRepo]

CHANGELOG = """\
# Changelog

## [Unreleased]

### Fixed

- A fix worth a release.

## [{old}] - 2026-01-05

### Added

- The first feature.
"""

README = "# sample\n\nA project for releasekit's layout tests.\n"


@pytest.fixture(autouse=True)
def _caches(monkeypatch: pytest.MonkeyPatch) -> None:
    use_real_caches(monkeypatch)


def ok(repo: GitRepo | Path, *args: str) -> str:
    """Run the CLI, fail the test with its output unless it succeeds; return stdout+stderr."""
    path = repo.path if isinstance(repo, GitRepo) else repo
    result = run_cli(path, *args)
    assert result.code == 0, f"releasekit {' '.join(args)}:\n{result.out}\n{result.err}"
    return result.out + result.err


def refused(repo: GitRepo, *args: str) -> str:
    """Run the CLI, expecting a one-line refusal; return it."""
    result = run_cli(repo.path, *args)
    assert result.code != 0, result
    assert "Traceback" not in result.err
    return result.out + result.err


def remote_tags(repo: GitRepo) -> dict[str, str]:
    """The remote's tags: name -> type (tag for annotated, commit for lightweight)."""
    out = git(
        repo.remote, "for-each-ref", "--format=%(refname:lstrip=2) %(objecttype)", "refs/tags"
    )
    return dict(line.split(" ") for line in out.splitlines())


def metadata_versions(dist: Path) -> dict[str, str]:
    """The Version field of the wheel's METADATA and the sdist's PKG-INFO, read from them."""
    found: dict[str, str] = {}
    for path in dist.iterdir():
        if path.name.endswith(".whl"):
            with zipfile.ZipFile(path) as archive:
                name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
                raw = archive.read(name)
            found["wheel"] = BytesParser().parsebytes(raw, headersonly=True)["Version"]
        elif path.name.endswith(".tar.gz"):
            with tarfile.open(path) as archive:
                member = next(
                    m
                    for m in archive.getmembers()
                    if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
                )
                stream = archive.extractfile(member)
                assert stream is not None
                raw = stream.read()
            found["sdist"] = BytesParser().parsebytes(raw, headersonly=True)["Version"]
    return found


def wheel_file(dist: Path, suffix: str) -> str:
    """The text of the wheel member whose name ends with `suffix`."""
    wheel = next(dist.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return archive.read(name).decode()


def build_at(repo: GitRepo, tag: str, tmp_path: Path) -> Path:
    """Check out `tag` (detached), run the real `releasekit build`, return the dist dir."""
    repo.git("switch", "-q", "--detach", tag)
    dist = tmp_path / f"dist-{tag}"
    ok(repo, "build", "--outdir", str(dist))
    repo.git("switch", "-q", "main")
    return dist


# --- versions from git tags ---------------------------------------------------------------

# Modelled on hynek/structlog: hatchling + hatch-vcs, `[tool.hatch.version] source = "vcs"`,
# raw-options for setuptools-scm, v-prefixed tags; a generated, git-ignored _version.py.
HATCH_VCS = {
    "pyproject.toml": """\
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "sample"
dynamic = ["version"]
description = "A hatch-vcs project."
readme = "README.md"
requires-python = ">=3.11"

[tool.hatch.version]
source = "vcs"
raw-options = { local_scheme = "no-local-version" }

[tool.hatch.build.hooks.vcs]
version-file = "src/sample/_version.py"
""",
    ".gitignore": "src/sample/_version.py\ndist/\n",
    "README.md": README,
    "src/sample/__init__.py": '"""A sample."""\n',
    "CHANGELOG.md": CHANGELOG.format(old="1.4.0"),
}

# Modelled on pytest-dev/pytest: setuptools + setuptools-scm, `[tool.setuptools_scm]` with
# write_to, and bare tags (8.3.0) -- no [tool.releasekit] table, so the style is inferred.
SETUPTOOLS_SCM = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=64", "setuptools-scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "sample"
dynamic = ["version"]
description = "A setuptools-scm project."
readme = "README.md"
requires-python = ">=3.11"

[tool.setuptools_scm]
version_file = "src/sample/_version.py"
""",
    ".gitignore": "src/sample/_version.py\ndist/\n*.egg-info/\n",
    "README.md": README,
    "src/sample/__init__.py": '"""A sample."""\n',
    "CHANGELOG.md": CHANGELOG.format(old="8.3.0"),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("files", "old_tag", "new_tag", "backend"),
    [
        (HATCH_VCS, "v1.4.0", "v1.5.0", "hatch-vcs"),
        (SETUPTOOLS_SCM, "8.3.0", "8.4.0", "setuptools-scm"),
    ],
    ids=["hatch-vcs", "setuptools-scm"],
)
def test_tag_derived_versions_release_and_build_at_the_tag(
    make_repo: MakeRepo,
    tmp_path: Path,
    files: dict[str, str],
    old_tag: str,
    new_tag: str,
    backend: str,
) -> None:
    repo = make_repo(files)
    repo.git("tag", "-a", "-m", "old", old_tag)
    repo.git("commit", "-q", "--allow-empty", "-m", "work after the release")
    repo.git("push", "-q", "origin", "main", old_tag)
    old, new = old_tag.lstrip("v"), new_tag.lstrip("v")

    assert ok(repo, "version").strip().splitlines()[0] == old
    verbose = ok(repo, "version", "--verbose")
    assert f"git tags: {backend}" in verbose
    assert f"nearest release tag {old_tag}" in verbose
    assert "nothing to write" not in verbose
    bump = refused(repo, "bump", "minor")
    assert f"comes from git tags ({backend}): there is no file to bump" in bump
    status = ok(repo, "status", "--target", "minor")
    assert f"last release tag: {old_tag}" in status
    assert f"{old} -> {new} (tag {new_tag})" in status
    assert "ready to release" in status

    before = repo.path.joinpath("pyproject.toml").read_bytes()
    out = ok(repo, "release", "minor", "--date", "2026-03-01")
    assert f"released {new}" in out
    assert repo.path.joinpath("pyproject.toml").read_bytes() == before  # no file to bump
    changelog = repo.path.joinpath("CHANGELOG.md").read_text()
    assert f"## [{new}] - 2026-03-01" in changelog
    # Only the changelog changed in the release commit; the tag is annotated and pushed.
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == ["CHANGELOG.md"]
    assert remote_tags(repo)[new_tag] == "tag"
    assert ok(repo, "check-tag", new_tag).strip().splitlines()[0] == new

    dist = build_at(repo, new_tag, tmp_path)
    assert metadata_versions(dist) == {"wheel": new, "sdist": new}
    assert f"{new}" in wheel_file(dist, "sample/_version.py")


def test_tag_derived_first_release_needs_an_explicit_version(make_repo: MakeRepo) -> None:
    repo = make_repo(HATCH_VCS)
    assert "give the first version explicitly" in refused(repo, "version")
    dry = ok(repo, "release", "0.1.0", "--dry-run", "--date", "2026-03-01")
    assert "would tag v0.1.0 (annotated)" in dry


def test_tag_derived_status_never_suggests_deleting_a_published_tag(make_repo: MakeRepo) -> None:
    repo = make_repo(HATCH_VCS)
    repo.git("tag", "-a", "-m", "old", "v1.4.0")
    repo.git("push", "-q", "origin", "v1.4.0")
    # Someone already published v1.4.1 from another clone (not in this branch's history).
    repo.git("switch", "-q", "-c", "elsewhere")
    repo.git("commit", "-q", "--allow-empty", "-m", "elsewhere")
    repo.git("tag", "-a", "-m", "x", "v1.4.1")
    repo.git("push", "-q", "origin", "v1.4.1")
    repo.git("switch", "-q", "main")
    repo.git("tag", "-d", "v1.4.1")
    out = refused(repo, "status")
    assert "last release tag: v1.4.0" in out
    assert "already published on 'origin'" in out
    assert "'releasekit release 1.4.2'" in out
    assert "git tag -d" not in out


# --- an import package not named after the distribution ----------------------------------

# Modelled on python-poetry/poetry-core: distribution poetry-core, `packages = [{ include =
# "poetry", from = "src" }]`, the version in src/poetry/core/__init__.py, vendored copies
# under src/poetry/core/_vendor that keep their own __version__.
POETRY_CORE = {
    "pyproject.toml": """\
[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"

[project]
name = "poetry-core"
version = "2.3.2"
description = "A package whose import name is not its distribution name."
readme = "README.md"
requires-python = ">=3.11"

[tool.poetry]
packages = [{ include = "poetry", from = "src" }]
""",
    "README.md": README,
    "src/poetry/core/__init__.py": '"""The core."""\n\n__version__ = "2.3.2"\n',
    "src/poetry/core/_vendor/fastjsonschema/__init__.py": '__version__ = "2.3.2"\n',
    "src/poetry/core/_vendor/packaging/__about__.py": '__version__ = "24.0"\n',
    "CHANGELOG.md": CHANGELOG.format(old="2.3.2"),
}


@pytest.mark.slow
def test_poetry_core_package_not_named_after_the_distribution(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    repo = make_repo(POETRY_CORE)
    repo.git("tag", "-a", "-m", "2.3.2", "2.3.2")
    repo.git("push", "-q", "origin", "2.3.2")
    verbose = ok(repo, "version", "--verbose")
    assert "src/poetry/core/__init__.py:3 (__version__): 2.3.2" in verbose
    assert "poetry packages include 'poetry' from 'src'" in verbose
    assert "_vendor" not in verbose
    ok(repo, "release", "patch", "--date", "2026-03-01")
    init = repo.path.joinpath("src/poetry/core/__init__.py").read_text()
    assert '__version__ = "2.3.3"' in init
    vendored = repo.path / "src/poetry/core/_vendor/fastjsonschema/__init__.py"
    assert vendored.read_text() == '__version__ = "2.3.2"\n'  # never touched
    assert "2.3.3" in remote_tags(repo)  # bare tags inferred from the existing one
    dist = build_at(repo, "2.3.3", tmp_path)
    assert metadata_versions(dist) == {"wheel": "2.3.3", "sdist": "2.3.3"}
    assert '__version__ = "2.3.3"' in wheel_file(dist, "poetry/core/__init__.py")


# --- the project's spelling: zero-padded CalVer --------------------------------------------

# Modelled on certifi/python-certifi: CalVer with zero-padded month and day (2024.08.30)
# in the package's __version__ and in bare tags.
CALVER = {
    "pyproject.toml": """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "sample"
version = "2026.08.17"
description = "A zero-padded CalVer project."
readme = "README.md"
requires-python = ">=3.11"
""",
    "README.md": README,
    "src/sample/__init__.py": '__version__ = "2026.08.17"\n',
    "CHANGELOG.md": CHANGELOG.format(old="2026.08.17"),
}


@pytest.mark.slow
def test_zero_padded_calver_keeps_its_spelling(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo(CALVER)
    repo.git("tag", "-a", "-m", "x", "2026.08.17")
    repo.git("push", "-q", "origin", "2026.08.17")
    assert ok(repo, "version").splitlines()[0] == "2026.08.17"
    ok(repo, "release", "patch", "--date", "2026-08-18")
    assert 'version = "2026.08.18"' in repo.path.joinpath("pyproject.toml").read_text()
    assert '"2026.08.18"' in repo.path.joinpath("src/sample/__init__.py").read_text()
    assert "## [2026.08.18] - 2026-08-18" in repo.path.joinpath("CHANGELOG.md").read_text()
    assert "2026.08.18" in remote_tags(repo)
    # An explicit version keeps its padding; one written without it gets the project's.
    write_unreleased(repo)
    ok(repo, "release", "2026.12.02", "--date", "2026-12-02")
    assert "2026.12.02" in remote_tags(repo)
    assert 'version = "2026.12.02"' in repo.path.joinpath("pyproject.toml").read_text()
    write_unreleased(repo)
    ok(repo, "release", "2026.12.3", "--date", "2026-12-03")
    assert "2026.12.03" in remote_tags(repo)
    dist = build_at(repo, "2026.12.03", tmp_path)
    # The wheel's file name is canonical (PEP 427); the metadata is what the project wrote.
    assert {Version(v) for v in metadata_versions(dist).values()} == {Version("2026.12.03")}


def write_unreleased(repo: GitRepo) -> None:
    """Add an entry under Unreleased and commit it."""
    path = repo.path / "CHANGELOG.md"
    text = path.read_text().replace("## [Unreleased]\n", "## [Unreleased]\n\n- More.\n", 1)
    path.write_text(text)
    repo.commit_all("more")
    repo.git("push", "-q", "origin", "main")


# --- which versions count --------------------------------------------------------------------

STATIC = {
    "pyproject.toml": """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "sample"
version = "{version}"
description = "A static-version project."
readme = "README.md"
requires-python = ">=3.11"
""",
    "README.md": README,
    "src/sample/__init__.py": '__version__ = "{version}"\n',
    "CHANGELOG.md": CHANGELOG,
}


def static(version: str) -> dict[str, str]:
    """The static project at `version`."""
    return {
        name: text.replace("{version}", version).replace("{old}", version)
        for name, text in STATIC.items()
    }


@pytest.mark.slow
def test_maintenance_release_on_an_older_line(make_repo: MakeRepo, tmp_path: Path) -> None:
    # Modelled on projects with maintenance branches (e.g. pytest's 7.4.x, Django's
    # stable/4.2.x): 1.2.4 from a 1.2.x branch while 2.0.0 exists on main.
    repo = make_repo(static("1.2.3"))
    repo.git("tag", "-a", "-m", "1.2.3", "v1.2.3")
    repo.git("branch", "1.2.x")
    for name, text in static("2.0.0").items():
        repo.path.joinpath(name).write_text(text)
    repo.commit_all("2.0")
    repo.git("tag", "-a", "-m", "2.0.0", "v2.0.0")
    repo.git("push", "-q", "origin", "main", "v1.2.3", "v2.0.0", "1.2.x")
    repo.git("switch", "-q", "1.2.x")
    repo.path.joinpath("pyproject.toml").write_text(
        repo.path.joinpath("pyproject.toml").read_text() + '\n[tool.releasekit]\nbranch = "1.2.x"\n'
    )
    repo.commit_all("release from 1.2.x")
    repo.git("push", "-q", "origin", "1.2.x")
    out = ok(repo, "release", "patch", "--date", "2026-03-01")
    assert "tag 'v2.0.0' (2.0.0) is higher than 1.2.4 but on another line" in out
    assert "released 1.2.4" in out
    assert "v1.2.4" in remote_tags(repo)
    dist = build_at(repo, "v1.2.4", tmp_path)
    assert metadata_versions(dist) == {"wheel": "1.2.4", "sdist": "1.2.4"}


@pytest.mark.slow
def test_a_stray_higher_lightweight_tag_only_warns(make_repo: MakeRepo, tmp_path: Path) -> None:
    # Modelled on a 3.8.x project where a lightweight 3.12.13 (a typo) sits on an old
    # merge commit, and on old pre-release tags like 1.0.0.beta0 in a 0.28.x project.
    repo = make_repo(static("3.8.4"))
    repo.git("tag", "3.12.13")  # lightweight, on the first commit
    repo.git("tag", "latest")  # not a release tag: ignored
    repo.git("tag", "v16")  # an alias under another style: ignored
    repo.git("commit", "-q", "--allow-empty", "-m", "later work")
    repo.git("tag", "-a", "-m", "3.8.4", "3.8.4")
    repo.git("commit", "-q", "--allow-empty", "-m", "more work")
    repo.git("push", "-q", "origin", "main", "--tags")
    status = ok(repo, "status")
    assert "last release tag: 3.8.4" in status
    assert "3.8.4 -> 3.8.5 (tag 3.8.5)" in status
    assert "tag '3.12.13' (3.12.13) is higher than 3.8.5 but on another line" in status
    out = ok(repo, "release", "patch", "--date", "2026-03-01")
    assert "released 3.8.5" in out
    dist = build_at(repo, "3.8.5", tmp_path)
    assert metadata_versions(dist) == {"wheel": "3.8.5", "sdist": "3.8.5"}


@pytest.mark.slow
def test_bare_tags_without_configuration(make_repo: MakeRepo, tmp_path: Path) -> None:
    # Modelled on projects tagging 0.28.1 (no v) with no [tool.releasekit] table.
    repo = make_repo(static("0.28.1"))
    for old in ("0.27.0", "0.28.0", "0.28.1"):
        repo.git("tag", "-a", "-m", old, old)
    repo.git("push", "-q", "origin", "--tags")
    status = ok(repo, "status")
    assert "0.28.1 -> 0.28.2 (tag 0.28.2)" in status
    assert "tag prefix '' inferred: all 3 release tag(s) use it" in status
    ok(repo, "release", "patch", "--date", "2026-03-01")
    assert "0.28.2" in remote_tags(repo)
    assert "v0.28.2" not in remote_tags(repo)
    dist = build_at(repo, "0.28.2", tmp_path)
    assert metadata_versions(dist) == {"wheel": "0.28.2", "sdist": "0.28.2"}
    # init writes the inferred style down.
    ok(repo, "init", "--skip-existing", "--requirement", "releasekit==1.0.0")
    assert 'tag-prefix = ""' in repo.path.joinpath("pyproject.toml").read_text()


# --- other tools' version records --------------------------------------------------------------

# Modelled on callowayproject/bump-my-version's own [tool.bumpversion]: current_version,
# file entries with and without search/replace, one that is not a version (a changelog
# heading), one regex entry.
BUMP_MY_VERSION = {
    **static("0.31.1"),
    "pyproject.toml": static("0.31.1")["pyproject.toml"]
    + """
[tool.bumpversion]
current_version = "0.31.1"
commit = true
tag = true
tag_name = "{new_version}"

[[tool.bumpversion.files]]
filename = "src/sample/__init__.py"

[[tool.bumpversion.files]]
filename = "action.yml"
search = "sample=={current_version}"
replace = "sample=={new_version}"

[[tool.bumpversion.files]]
filename = "CHANGELOG.md"
search = "Unreleased"

[[tool.bumpversion.files]]
filename = "Dockerfile"
search = "created=\\\\d{{4}}"
replace = "created={utcnow:%Y}"
regex = true
""",
    "action.yml": "runs:\n  steps:\n    - run: pip install sample==0.31.1 other==0.31.1\n",
    "Dockerfile": "FROM python\nLABEL created=2020\n",
}


@pytest.mark.slow
def test_bump_my_version_records_follow(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo(BUMP_MY_VERSION)
    repo.git("tag", "-a", "-m", "x", "0.31.1")
    repo.git("push", "-q", "origin", "0.31.1")
    verbose = ok(repo, "version", "--verbose")
    assert "bump-my-version current_version" in verbose
    assert "left alone: bump-my-version file 'CHANGELOG.md'" in verbose
    assert "left alone: bump-my-version file 'Dockerfile': a regex search" in verbose
    out = ok(repo, "release", "minor", "--date", "2026-03-01")
    assert "left alone:" in out
    text = repo.path.joinpath("pyproject.toml").read_text()
    assert 'current_version = "0.32.0"' in text
    assert 'version = "0.32.0"' in text
    action = repo.path.joinpath("action.yml").read_text()
    assert action == "runs:\n  steps:\n    - run: pip install sample==0.32.0 other==0.31.1\n"
    assert repo.path.joinpath("Dockerfile").read_text() == BUMP_MY_VERSION["Dockerfile"]
    assert "0.32.0" in remote_tags(repo)
    dist = build_at(repo, "0.32.0", tmp_path)
    assert metadata_versions(dist) == {"wheel": "0.32.0", "sdist": "0.32.0"}


# Modelled on commitizen-tools/commitizen: [tool.commitizen] version, tag_format and
# version_files with "file" and "file:regex" entries, one of them a .pre-commit-config.yaml
# `rev:` line that pins the project's own hook.
COMMITIZEN = {
    **static("2.17.9"),
    "pyproject.toml": static("2.17.9")["pyproject.toml"]
    + """
[tool.commitizen]
version = "2.17.9"
tag_format = "v$version"
version_files = [
  "src/sample/__init__.py",
  ".pre-commit-config.yaml:rev:",
  "docs/install.md",
]
""",
    ".pre-commit-config.yaml": (
        "repos:\n  - repo: https://example.invalid/sample\n    rev: v2.17.9\n"
        "    hooks: [{id: sample}]\n  - repo: https://example.invalid/other\n"
        "    rev: 2.17.9-other  # another tool's pin with the same number\n"
    ),
    "docs/install.md": "pip install sample==2.17.9\n",
}


@pytest.mark.slow
def test_commitizen_version_files_follow(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo(COMMITIZEN)
    repo.git("tag", "-a", "-m", "x", "v2.17.9")
    repo.git("push", "-q", "origin", "v2.17.9")
    verbose = ok(repo, "version", "--verbose")
    assert "commitizen version" in verbose
    assert "commitizen version_files '.pre-commit-config.yaml:rev:'" in verbose
    ok(repo, "release", "patch", "--date", "2026-03-01")
    text = repo.path.joinpath("pyproject.toml").read_text()
    assert text.count('version = "2.17.10"') == 2  # [project] and [tool.commitizen]
    hooks = repo.path.joinpath(".pre-commit-config.yaml").read_text()
    # commitizen replaces the version on the lines its regex matches, as here.
    assert "rev: v2.17.10\n" in hooks
    assert "rev: 2.17.10-other" in hooks
    assert repo.path.joinpath("docs/install.md").read_text() == "pip install sample==2.17.10\n"
    assert "v2.17.10" in remote_tags(repo)
    dist = build_at(repo, "v2.17.10", tmp_path)
    assert metadata_versions(dist) == {"wheel": "2.17.10", "sdist": "2.17.10"}


def test_stale_commitizen_file_is_refused_by_name(make_repo: MakeRepo) -> None:
    files = dict(COMMITIZEN)
    files["docs/install.md"] = "pip install sample==2.17.8\n"
    repo = make_repo(files)
    out = refused(repo, "version")
    assert "commitizen version_files 'docs/install.md': '2.17.9' is not in 'docs/install.md'" in out
