"""Publishing to a real pypiserver with real twine uploads, faults injected by a proxy."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRepo, run_cli, snapshot
from publish_support import Faults, fault_proxy, index_state, write_sums

from releasekit import publish
from releasekit.credentials import Credential
from releasekit.errors import BuildError, PublishError
from releasekit.localindex import LocalIndex

pytestmark = pytest.mark.slow

FAST = publish.Retry(attempts=3, backoff=0.0)


def login(index: LocalIndex) -> dict[str, str]:
    return {"TWINE_USERNAME": index.username, "TWINE_PASSWORD": index.password}


def run_publish(
    repo: GitRepo, url: str, env: dict[str, str], *extra: str
) -> tuple[list[str], Exception | None]:
    lines: list[str] = []
    try:
        publish.run(
            root=repo.path,
            repository=url,
            index_url=None,
            dist_dir=repo.path / "dist",
            environ=env,
            say=lines.append,
            warn=lines.append,
            install_check="install" in extra,
            dry_run="dry" in extra,
            retry=FAST,
        )
    except PublishError as exc:
        return lines, exc
    return lines, None


def sums(dist: Path) -> dict[str, str]:
    return {
        name: digest
        for digest, name in (
            line.split() for line in (dist / "SHA256SUMS").read_text().splitlines()
        )
    }


def test_publish_local_through_the_cli_uploads_reads_back_and_installs(released: GitRepo) -> None:
    result = run_cli(released.path, "publish", "--repository", "local")
    assert result.code == 0, result.err
    assert "uploading sample-1.2.0-py2.py3-none-any.whl" in result.out.replace("_", "-") or (
        "uploading sample-1.2.0" in result.out
    )
    assert result.out.count("verified ") == 2
    assert "installed sample==1.2.0" in result.out
    assert "imported sample" in result.out


def test_tested_equals_published_read_back_from_the_index(
    released: GitRepo, index: LocalIndex
) -> None:
    _lines, error = run_publish(released, index.upload_url, login(index))
    assert error is None
    expected = sums(released.path / "dist")
    for name, digest in expected.items():
        url = f"{index.url}packages/{name}"
        with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback
            assert hashlib.sha256(response.read()).hexdigest() == digest
    assert sorted(index_state(index.packages)) == sorted(expected)


def test_rerun_skips_identical_files_and_changes_nothing(
    released: GitRepo, index: LocalIndex
) -> None:
    assert run_publish(released, index.upload_url, login(index))[1] is None
    before = index_state(index.packages)
    lines, error = run_publish(released, index.upload_url, login(index))
    assert error is None
    assert sum("already on the index, identical sha256" in line for line in lines) == 2
    assert not any(line.startswith("uploading") for line in lines)
    assert index_state(index.packages) == before


def test_publish_that_died_after_the_wheel_completes_on_rerun(
    released: GitRepo, index: LocalIndex
) -> None:
    faults = Faults(posts=[None], default="reset")  # the first file goes through, then resets
    with fault_proxy(index.url, faults) as proxy:
        lines, error = run_publish(released, proxy, login(index))
    assert isinstance(error, PublishError)
    assert "failed 3 times" in str(error)
    assert "run the same publish again" in str(error)
    assert len(index_state(index.packages)) == 1
    lines, error = run_publish(released, index.upload_url, login(index))
    assert error is None
    assert sum("identical sha256" in line for line in lines) == 1
    assert sum(line.startswith("uploading") for line in lines) == 1
    assert sorted(index_state(index.packages)) == sorted(sums(released.path / "dist"))


def test_same_name_with_other_content_stops_before_any_upload(
    released: GitRepo, index: LocalIndex
) -> None:
    wheel = next(p for p in (released.path / "dist").iterdir() if p.suffix == ".whl")
    (index.packages / wheel.name).write_bytes(b"not the tested wheel")
    before = index_state(index.packages)
    lines, error = run_publish(released, index.upload_url, login(index))
    assert isinstance(error, PublishError)
    assert "already on the index with different content" in str(error)
    assert "bump the version" in str(error)
    assert index_state(index.packages) == before
    assert not any(line.startswith("uploading") for line in lines)


def test_5xx_is_retried_with_backoff_until_it_passes(released: GitRepo, index: LocalIndex) -> None:
    faults = Faults(posts=[503, 502])
    with fault_proxy(index.url, faults) as proxy:
        lines, error = run_publish(released, proxy, login(index))
    assert error is None
    assert sum("retrying" in line for line in lines) == 2
    assert faults.seen_posts == 4
    assert len(index_state(index.packages)) == 2


@pytest.mark.parametrize(
    ("status", "reason", "body", "expected"),
    [
        (403, "Invalid or non-existent authentication information.", "", "invalid or expired"),
        (401, "Unauthorized", "", "invalid or expired"),
        (
            403,
            "The user 'x' isn't allowed to upload to project 'sample'.",
            "",
            "not allowed to upload to project 'sample'",
        ),
        (
            400,
            "File already exists. See https://pypi.org/help/#file-name-reuse",
            "",
            "already exists on the index",
        ),
        (409, "Conflict", "", "already exists on the index"),
        (
            400,
            "'Bad' is an invalid value for Classifier.",
            "",
            "'Bad' is an invalid value for Classifier.",
        ),
        (
            403,
            "Forbidden",
            "invalid-publisher: valid token, but no corresponding publisher",
            "Trusted Publishing is not configured",
        ),
    ],
)
def test_4xx_is_never_retried_and_explained(
    released: GitRepo, index: LocalIndex, status: int, reason: str, body: str, expected: str
) -> None:
    faults = Faults(default=status, reason=reason, body=body)
    with fault_proxy(index.url, faults) as proxy:
        _lines, error = run_publish(released, proxy, login(index))
    assert isinstance(error, PublishError)
    assert expected in str(error)
    assert "\n" not in str(error)
    assert faults.seen_posts == 1
    assert index_state(index.packages) == {}


def test_wrong_password_is_refused_by_the_real_index(released: GitRepo, index: LocalIndex) -> None:
    env = {"TWINE_USERNAME": index.username, "TWINE_PASSWORD": "wrong-password"}
    result = run_cli(released.path, "publish", "--repository", index.upload_url, env=env)
    assert result.code == 1
    assert result.err.startswith("releasekit: error: the index refused the credential")
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_unreachable_index_is_one_line(released: GitRepo) -> None:
    from releasekit.localindex import free_port

    url = f"http://127.0.0.1:{free_port()}/"
    result = run_cli(released.path, "publish", "--repository", url, env={"TWINE_PASSWORD": "x" * 8})
    assert result.code == 1
    assert "is unreachable" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_dry_run_checks_everything_and_uploads_nothing(
    released: GitRepo, index: LocalIndex
) -> None:
    result = run_cli(
        released.path, "publish", "--repository", index.upload_url, "--dry-run", env=login(index)
    )
    assert result.code == 0, result.err
    assert "credential: environment (TWINE_PASSWORD)" in result.out
    assert "index answered: 0 file(s)" in result.out
    assert result.out.count("would upload") == 2
    assert "dry run: nothing was uploaded" in result.out
    assert index_state(index.packages) == {}


def test_changed_file_after_testing_is_refused(released: GitRepo, index: LocalIndex) -> None:
    wheel = next(p for p in (released.path / "dist").iterdir() if p.suffix == ".whl")
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    result = run_cli(released.path, "publish", "--repository", index.upload_url, env=login(index))
    assert result.code == 1
    assert "changed after it was built and tested" in result.err
    assert index_state(index.packages) == {}


def test_dist_of_another_version_is_refused(released: GitRepo, index: LocalIndex) -> None:
    pyproject = released.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("1.2.0", "1.3.0"))
    _lines, error = run_publish(released, index.upload_url, login(index))
    assert isinstance(error, PublishError)
    assert "are version '1.2.0' but the project is '1.3.0'" in str(error)


def test_missing_sums_is_refused(released: GitRepo, index: LocalIndex) -> None:
    (released.path / "dist" / "SHA256SUMS").unlink()
    with pytest.raises(BuildError, match="SHA256SUMS"):
        run_publish(released, index.upload_url, login(index))
    write_sums(released.path / "dist")
    assert run_publish(released, index.upload_url, login(index))[1] is None


def test_pypi_is_refused_off_the_release_tag(released: GitRepo) -> None:
    before = released.state()
    result = run_cli(released.path, "publish", "--repository", "pypi", env={"PYPI_TOKEN": "pypi-x"})
    assert result.code == 1
    assert "release tag 'v1.2.0' of version '1.2.0' does not exist" in result.err
    assert released.state() == before
    released.git("tag", "v1.2.0")
    (released.path / "src" / "sample" / "__init__.py").write_text("# changed\n")
    with pytest.raises(PublishError, match="uncommitted changes"):
        publish.check_release_state(released.path, "1.2.0", tag_prefix="v")
    released.commit_all("later")
    with pytest.raises(PublishError, match=r"is not at the release tag 'v1\.2\.0'"):
        publish.check_release_state(released.path, "1.2.0", tag_prefix="v")


def test_release_state_passes_at_a_clean_tag(released: GitRepo) -> None:
    released.git("tag", "v1.2.0")
    assert publish.check_release_state(released.path, "1.2.0", tag_prefix="v") == "v1.2.0"


@pytest.mark.parametrize(
    ("repository", "upload", "index_url"),
    [
        ("pypi", publish.PYPI_UPLOAD, publish.PYPI_INDEX),
        ("testpypi", publish.TESTPYPI_UPLOAD, publish.TESTPYPI_INDEX),
        ("https://upload.pypi.org/legacy", publish.PYPI_UPLOAD, publish.PYPI_INDEX),
        (
            "https://pkgs.example/legacy/",
            "https://pkgs.example/legacy/",
            "https://pkgs.example/simple/",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),
    ],
)
def test_resolve_target(repository: str, upload: str, index_url: str) -> None:
    target = publish.resolve_target(repository, index_url=None, environ={})
    assert (target.upload_url, target.index_url) == (upload, index_url)


def test_twine_repository_url_is_honoured_and_index_url_overrides() -> None:
    env = {"TWINE_REPOSITORY_URL": "https://pkgs.example/up/"}
    target = publish.resolve_target(None, index_url="https://pkgs.example/idx/", environ=env)
    assert (target.upload_url, target.index_url) == (
        "https://pkgs.example/up/",
        "https://pkgs.example/idx/",
    )


@pytest.mark.parametrize("bad", ["", "ftp://x/", "pipy", "local-ish"])
def test_bad_repository_is_one_clear_error(bad: str) -> None:
    with pytest.raises(PublishError, match="pass"):
        publish.resolve_target(bad, index_url=None, environ={})


def test_bad_repository_through_cli_changes_nothing(released: GitRepo) -> None:
    before = released.state()
    result = run_cli(released.path, "publish", "--repository", "pipy")
    assert result.code == 1
    assert result.err.startswith("releasekit: error: repository 'pipy'")
    assert released.state() == before


def test_credential_repr_never_shows_the_secret() -> None:
    cred = Credential("__token__", "pypi-SECRETSECRET", "environment (PYPI_TOKEN)")
    assert "SECRETSECRET" not in repr(cred)
    assert "SECRETSECRET" not in str(cred)


# ---------------------------------------- no checkout: the release workflow's publish job


@pytest.fixture
def job(tmp_path: Path, sample_dist: Path) -> Path:
    """A publish job's working directory: the downloaded dist/ and nothing else."""
    where = tmp_path / "job"
    shutil.copytree(sample_dist, where / "dist")
    assert publish.project_root(where) is None
    return where


def publish_job(
    job: Path, repository: str, env: dict[str, str], *, index_url: str | None = None, **extra: Any
) -> list[str]:
    lines: list[str] = []
    publish.run(
        root=None,
        repository=repository,
        index_url=index_url,
        dist_dir=job / "dist",
        environ={"HOME": os.environ["HOME"], **env},
        say=lines.append,
        warn=lines.append,
        dry_run=True,
        install_check=False,
        retry=FAST,
        **extra,
    )
    return lines


ON_TAG = {"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/tags/v1.2.0", "PYPI_TOKEN": "pypi-x"}


@pytest.mark.parametrize(
    ("env", "extra", "tag"),
    [
        pytest.param(ON_TAG, {}, "v1.2.0", id="GITHUB_REF"),
        pytest.param(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_REF_TYPE": "tag",
                "GITHUB_REF_NAME": "v1.2.0",
                "PYPI_TOKEN": "pypi-x",
            },
            {},
            "v1.2.0",
            id="GITHUB_REF_TYPE",
        ),
        pytest.param(
            {**ON_TAG, "GITHUB_REF": "refs/tags/release-1.2"},
            {"tag_prefix": "release-"},
            "release-1.2",
            id="tag-prefix",
        ),
    ],
)
def test_no_checkout_pypi_from_actions_on_the_files_tag(
    job: Path, index: LocalIndex, env: dict[str, str], extra: dict[str, str], tag: str
) -> None:
    before = snapshot(job)
    lines = publish_job(job, "pypi", env, index_url=index.index_url, **extra)
    read = "project: sample 1.2.0, read from the files (no pyproject.toml here or in any parent)"
    assert read in lines
    assert f"release: this GitHub Actions run is for {tag}, the tag of the files' version" in lines
    assert "credential: environment (PYPI_TOKEN)" in "\n".join(lines)
    assert sum(line.startswith("would upload") for line in lines) == 2
    assert snapshot(job) == before


@pytest.mark.parametrize(
    ("env", "extra", "expected"),
    [
        pytest.param(
            {"PYPI_TOKEN": "pypi-x", "GITHUB_REF": "refs/tags/v1.2.0"},
            {},
            "there is no project checkout here (no pyproject.toml), so nothing shows that the "
            "files are those of the release tag 'v1.2.0'; publish to PyPI from a checkout at "
            "that tag, or from GitHub Actions on a push of that tag",
            id="outside-actions",
        ),
        pytest.param(
            {**ON_TAG, "GITHUB_REF": "refs/heads/main", "GITHUB_REF_TYPE": "branch"},
            {},
            "this GitHub Actions run is for 'refs/heads/main', not a release tag",
            id="branch",
        ),
        pytest.param(
            {**ON_TAG, "GITHUB_REF": "refs/tags/v1.3.0"},
            {},
            "this run is for the tag 'v1.3.0' (version '1.3.0') but the files in dist/ are "
            "version '1.2.0'",
            id="other-version",
        ),
        pytest.param(
            {**ON_TAG, "GITHUB_REF": "refs/tags/release-1.2.0"},
            {},
            "this run is for the tag 'release-1.2.0', which is not a release tag (tag "
            "'release-1.2.0' does not start with the tag prefix 'v'",
            id="other-prefix",
        ),
        pytest.param(
            ON_TAG,
            {"tag_prefix": "release-"},
            "pass --tag-prefix",
            id="wrong-tag-prefix",
        ),
    ],
)
def test_no_checkout_pypi_is_refused_unless_the_tag_names_the_files(
    job: Path, env: dict[str, str], extra: dict[str, str], expected: str
) -> None:
    """Refused before any credential or network use: the index URL leads nowhere."""
    before = snapshot(job)
    with pytest.raises(PublishError) as caught:
        publish_job(job, "pypi", env, index_url="http://127.0.0.1:9/simple/", **extra)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)
    assert snapshot(job) == before


def test_no_checkout_pypi_outside_actions_through_the_cli(job: Path) -> None:
    before = snapshot(job)
    result = run_cli(job, "publish", "--repository", "pypi", env={"PYPI_TOKEN": "pypi-x"})
    assert result.code == 1
    [line] = result.err.strip().splitlines()
    assert line.startswith("releasekit: error: there is no project checkout here")
    assert snapshot(job) == before


def test_no_checkout_testpypi_needs_no_tag(job: Path, index: LocalIndex) -> None:
    lines = publish_job(job, index.upload_url, {"TWINE_PASSWORD": index.password})
    assert not any(line.startswith("release:") for line in lines)
    assert sum(line.startswith("would upload") for line in lines) == 2


@pytest.mark.parametrize(
    ("copy_as", "listing"),
    [
        ("sample-1.3.0-py3-none-any.whl", "sample 1.2.0, sample 1.3.0"),
        ("other-1.2.0-py3-none-any.whl", "other 1.2.0, sample 1.2.0"),
    ],
)
def test_no_checkout_files_must_be_one_release(job: Path, copy_as: str, listing: str) -> None:
    wheel = next((job / "dist").glob("*.whl"))
    shutil.copy(wheel, job / "dist" / copy_as)
    write_sums(job / "dist")
    with pytest.raises(PublishError, match=re.escape(f"several releases ({listing})")):
        publish_job(job, "pypi", ON_TAG)


def test_a_checkout_keeps_the_head_check_even_in_actions_on_a_tag(released: GitRepo) -> None:
    """The Actions tag is used only without a checkout; a checkout must itself be at the tag."""
    with pytest.raises(PublishError, match=r"release tag 'v1\.2\.0' of version"):
        publish.run(
            root=released.path,
            repository="pypi",
            index_url="http://127.0.0.1:9/simple/",
            dist_dir=released.path / "dist",
            environ=ON_TAG,
            say=lambda _line: None,
            warn=lambda _line: None,
            dry_run=True,
        )


def test_tag_prefix_overrides_the_configured_one_in_a_checkout(
    released: GitRepo, index: LocalIndex
) -> None:
    released.git("tag", "release-1.2.0")
    lines: list[str] = []
    publish.run(
        root=released.path,
        repository="pypi",
        index_url=index.index_url,
        dist_dir=released.path / "dist",
        environ={"PYPI_TOKEN": "pypi-x", "HOME": os.environ["HOME"]},
        say=lines.append,
        warn=lines.append,
        dry_run=True,
        tag_prefix="release-",
    )
    assert "release: HEAD is at release-1.2.0 and the working tree is clean" in lines
