"""`releasekit verify`: a real pypiserver (hashes, install-back) and a loopback Integrity API."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRepo, run_cli
from integrity_fake import Served, github_publisher, integrity_index
from publish_support import index_state

from releasekit import publish, verify
from releasekit.errors import VerifyError
from releasekit.localindex import LocalIndex

pytestmark = pytest.mark.slow

ACTIONS = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "octo/sample",
    "GITHUB_WORKFLOW_REF": "octo/sample/.github/workflows/release.yml@refs/tags/v1.2.0",
}


def published(released: GitRepo, index: LocalIndex) -> None:
    """Publish the sample's dist/ to the local index, as a laptop publish does."""
    publish.run(
        root=released.path,
        repository=index.upload_url,
        index_url=None,
        dist_dir=released.path / "dist",
        environ={"TWINE_USERNAME": index.username, "TWINE_PASSWORD": index.password},
        say=lambda _line: None,
        warn=lambda _line: None,
        install_check=False,
    )


# --------------------------------------------------------------------- pypiserver


def test_verify_after_a_laptop_publish_through_the_cli(
    released: GitRepo, index: LocalIndex
) -> None:
    published(released, index)
    before = index_state(index.packages)
    result = run_cli(released.path, "verify", "--repository", index.upload_url)
    assert result.code == 0, result.err
    assert result.out.count("sha256 ok: ") == 2
    assert "serves no PEP 740 provenance" in result.out
    assert "installed sample==1.2.0" in result.out
    assert "imported sample" in result.out
    assert "every check passed" in result.out
    assert index_state(index.packages) == before  # verify only reads


def verify_local(released: GitRepo, index: LocalIndex, **extra: Any) -> list[str]:
    lines: list[str] = []
    verify.run(
        repository=index.upload_url,
        index_url=None,
        sums=released.path / "dist" / "SHA256SUMS",
        environ={},
        say=lines.append,
        install_check=False,
        **extra,
    )
    return lines


def test_other_bytes_on_the_index_fail(released: GitRepo, index: LocalIndex) -> None:
    published(released, index)
    wheel = next(p for p in index.packages.iterdir() if p.suffix == ".whl")
    wheel.write_bytes(b"someone else's wheel")
    with pytest.raises(VerifyError, match=r"not the files that were built and tested"):
        verify_local(released, index)


def test_missing_file_means_an_incomplete_upload(released: GitRepo, index: LocalIndex) -> None:
    published(released, index)
    next(p for p in index.packages.iterdir() if p.name.endswith(".tar.gz")).unlink()
    with pytest.raises(VerifyError, match=r"is not on the index; the upload is incomplete"):
        verify_local(released, index)


def test_file_the_build_did_not_make_fails(released: GitRepo, index: LocalIndex) -> None:
    published(released, index)
    wheel = next(p for p in index.packages.iterdir() if p.suffix == ".whl")
    shutil.copy(wheel, index.packages / "sample-1.2.0-cp311-cp311-manylinux1_x86_64.whl")
    with pytest.raises(VerifyError, match=r"which SHA256SUMS does not list"):
        verify_local(released, index)


def test_nothing_published_waits_then_fails(released: GitRepo, index: LocalIndex) -> None:
    lines: list[str] = []
    with pytest.raises(VerifyError, match=r"not on the index"):
        verify.run(
            repository=index.upload_url,
            index_url=None,
            sums=released.path / "dist",
            environ={},
            say=lines.append,
            install_check=False,
            wait=0.2,
        )
    assert any("waiting" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repository", "local"], "embedded local index stops"),
        (["--repository", "pipy"], "repository 'pipy'"),
        (["--repository", "http://127.0.0.1:9/", "--sums", "README"], "is not a SHA256SUMS"),
        (
            ["--repository", "http://127.0.0.1:9/", "--publisher-repository", "octo"],
            "is not OWNER/NAME",
        ),
        (["--repository", "http://127.0.0.1:9/", "--wait", "-1"], "is negative"),
    ],
)
def test_bad_input_is_one_line(released: GitRepo, args: list[str], message: str) -> None:
    result = run_cli(released.path, "verify", *args)
    assert result.code != 0
    assert result.err.startswith("releasekit: error: "), result.err
    assert message in result.err
    assert "Traceback" not in result.err


# --------------------------------------------------------------- the Integrity API


def verify_fake(
    released: GitRepo, served: Served, environ: dict[str, str], **extra: Any
) -> list[str]:
    lines: list[str] = []
    with integrity_index(served) as url:
        verify.run(
            repository=url,
            index_url=f"{url}simple/",
            sums=released.path / "dist",
            environ=environ,
            say=lines.append,
            install_check=False,
            **extra,
        )
    return lines


def test_provenance_from_this_repository_and_workflow(released: GitRepo) -> None:
    served = Served.from_dist(released.path / "dist", {"": github_publisher("octo/sample")})
    lines = verify_fake(released, served, ACTIONS)
    assert "expected publisher: release.yml on octo/sample" in lines
    assert sum("attested by release.yml on octo/sample (GitHub)" in line for line in lines) == 2
    assert any(p.startswith("/integrity/sample/1.2.0/") for p in served.requests)


def test_provenance_checked_with_flags_outside_actions(released: GitRepo) -> None:
    served = Served.from_dist(released.path / "dist", {"": github_publisher("Octo/Sample")})
    lines = verify_fake(
        released,
        served,
        {},
        publisher_repository="octo/sample",
        publisher_workflow="release.yml",
    )
    assert sum("provenance ok" in line for line in lines) == 2


def test_missing_provenance_fails_when_a_publisher_is_expected(released: GitRepo) -> None:
    served = Served.from_dist(
        released.path / "dist", {".tar.gz": github_publisher("octo/sample"), ".whl": None}
    )
    with pytest.raises(VerifyError, match=r"\.whl' has no attestation on the index"):
        verify_fake(released, served, ACTIONS)


def test_missing_provenance_is_reported_after_a_laptop_publish(released: GitRepo) -> None:
    served = Served.from_dist(released.path / "dist")
    lines = verify_fake(released, served, {})
    assert sum("has none (uploaded without attestations" in line for line in lines) == 2


def test_provenance_naming_another_repository_fails(released: GitRepo) -> None:
    served = Served.from_dist(
        released.path / "dist",
        {".whl": github_publisher("mallory/sample"), ".tar.gz": github_publisher("octo/sample")},
    )
    with pytest.raises(VerifyError) as caught:
        verify_fake(released, served, ACTIONS)
    assert "attested by release.yml on mallory/sample (GitHub), not by release.yml on" in str(
        caught.value
    )


def test_provenance_from_another_workflow_fails(released: GitRepo) -> None:
    served = Served.from_dist(
        released.path / "dist", {"": github_publisher("octo/sample", "ci.yml")}
    )
    with pytest.raises(VerifyError, match=r"attested by ci.yml on octo/sample"):
        verify_fake(released, served, ACTIONS)


def test_verify_signatures_rejects_an_unsigned_attestation(released: GitRepo) -> None:
    pytest.importorskip("pypi_attestations")
    served = Served.from_dist(released.path / "dist", {"": github_publisher("octo/sample")})
    with pytest.raises(VerifyError, match=r"does not verify: "):
        verify_fake(released, served, ACTIONS, signatures=True)


def test_verify_signatures_needs_provenance(released: GitRepo, index: LocalIndex) -> None:
    published(released, index)
    with pytest.raises(VerifyError, match=r"serves no PEP 740 provenance"):
        verify_local(released, index, signatures=True)


def test_verify_through_the_cli_against_the_integrity_api(released: GitRepo) -> None:
    served = Served.from_dist(released.path / "dist", {"": github_publisher("mallory/sample")})
    with integrity_index(served) as url:
        result = run_cli(
            released.path,
            "verify",
            "--repository",
            url,
            "--no-install",
            env=ACTIONS,
        )
    assert result.code == 1
    assert result.err.startswith("releasekit: error: "), result.err
    assert "mallory/sample" in result.err
    assert "Traceback" not in result.err


def test_expected_publisher_from_the_workflow_ref() -> None:
    assert verify.expected_publisher(None, None, ACTIONS) == verify.Publisher(
        "octo/sample", "release.yml"
    )
    assert verify.expected_publisher("a/b", "cd.yaml", {}) == verify.Publisher("a/b", "cd.yaml")
    assert verify.expected_publisher(None, None, {"GITHUB_REPOSITORY": "a/b"}) is None
    with pytest.raises(VerifyError, match="workflow file name"):
        verify.expected_publisher("a/b", ".github/workflows/x.yml", {})


def test_read_release_from_sums(released: GitRepo, tmp_path: Path) -> None:
    release = verify.read_release(released.path / "dist" / "SHA256SUMS")
    assert (release.project, release.version) == ("sample", "1.2.0")
    assert len(release.sums) == 2
