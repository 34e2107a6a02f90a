"""Trusted Publishing exchange against loopback fakes of GitHub's and PyPI's OIDC endpoints."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import publish_support
import pytest
import yaml
from conftest import BIN, GitRepo
from oidc_fakes import FakeGitHubOIDC, FakePyPI, Publisher, trusted_publishing

from releasekit.errors import CredentialError
from releasekit.localindex import LocalIndex
from releasekit.oidc import (
    in_github_actions,
    index_base,
    mint_token,
    trusted_publishing_available,
)

# The publishing tests' fixtures: a released sample repository with dist/, and a local index.
index = publish_support.index
released = publish_support.released
sample_dist = publish_support.sample_dist

RELEASE = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "release.yml"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeGitHubOIDC, FakePyPI]]:
    with trusted_publishing() as both:
        yield both


def secrets_of(github: FakeGitHubOIDC, pypi: FakePyPI) -> list[str]:
    return [github.request_token, *github.issued, *pypi.minted]


def refused(github: FakeGitHubOIDC, pypi: FakePyPI, environ: dict[str, str] | None = None) -> str:
    """Run the exchange expecting a refusal; return its one-line message (checked secret-free)."""
    out = io.StringIO()
    with pytest.raises(CredentialError) as caught:
        mint_token(pypi.upload_url, github.environ() if environ is None else environ, out=out)
    message = str(caught.value)
    assert "\n" not in message
    for secret in secrets_of(github, pypi):
        assert secret not in message
        assert secret not in out.getvalue().replace(f"::add-mask::{secret}\n", "")
    assert pypi.minted == []
    return message


def test_success_returns_the_minted_token_and_speaks_the_protocol(
    fakes: tuple[FakeGitHubOIDC, FakePyPI],
) -> None:
    github, pypi = fakes
    environ = {**github.environ(), "GITHUB_ACTIONS": "false"}
    out = io.StringIO()
    token = mint_token(pypi.upload_url, environ, out=out)

    assert pypi.minted == [token]
    assert token.startswith("pypi-")
    [request] = github.requests
    assert request == {
        "method": "GET",
        "path": "/_apis/token",
        "api-version": "2.0",
        "audience": "pypi",
        "auth": f"bearer {github.request_token}",
    }
    assert [json.loads(body) for body in pypi.mint_requests] == [{"token": github.issued[0]}]
    assert out.getvalue() == ""  # outside GitHub Actions nothing is printed at all


def test_in_github_actions_both_tokens_are_masked_and_nothing_else_printed(
    fakes: tuple[FakeGitHubOIDC, FakePyPI],
) -> None:
    github, pypi = fakes
    out = io.StringIO()
    token = mint_token(pypi.upload_url, github.environ(), out=out)
    assert out.getvalue() == f"::add-mask::{github.issued[0]}\n::add-mask::{token}\n"


def test_the_audience_comes_from_the_index(fakes: tuple[FakeGitHubOIDC, FakePyPI]) -> None:
    github, pypi = fakes
    pypi.audience = "testpypi"
    mint_token(pypi.upload_url, github.environ(), out=io.StringIO())
    assert github.requests[0]["audience"] == "testpypi"


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({"GITHUB_ACTIONS": "true"}, id="no-request-vars"),
        pytest.param(
            {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x/t"},
            id="no-request-token",
        ),
        pytest.param(
            {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}, id="no-request-url"
        ),
    ],
)
def test_missing_id_token_permission_names_the_fix_and_sends_nothing(
    fakes: tuple[FakeGitHubOIDC, FakePyPI], environ: dict[str, str]
) -> None:
    github, pypi = fakes
    message = refused(github, pypi, environ)
    assert "id-token: write" in message
    assert github.requests == []
    assert pypi.mint_requests == []


def test_invalid_publisher_lists_the_fields_to_check(
    fakes: tuple[FakeGitHubOIDC, FakePyPI],
) -> None:
    github, pypi = fakes
    pypi.publisher = Publisher(environment="release")  # PyPI expects another environment
    message = refused(github, pypi)
    assert "invalid-publisher" in message
    for field in ("owner='acme'", "repository='acme/widget'", "workflow='release.yml'"):
        assert field in message
    assert "environment='pypi'" in message


def test_invalid_token_says_to_rerun(fakes: tuple[FakeGitHubOIDC, FakePyPI]) -> None:
    github, pypi = fakes
    github.expired = True
    message = refused(github, pypi)
    assert "rejected the GitHub OIDC token" in message
    assert "invalid-token" in message
    assert "re-run" in message


def test_non_json_outage_from_mint_token(fakes: tuple[FakeGitHubOIDC, FakePyPI]) -> None:
    github, pypi = fakes
    pypi.mint_outage = True
    message = refused(github, pypi)
    assert "HTTP 503" in message
    assert "not JSON" in message
    assert "retry later" in message


@pytest.mark.parametrize("status", [403, 404])
def test_index_without_trusted_publishing(
    fakes: tuple[FakeGitHubOIDC, FakePyPI], status: int
) -> None:
    github, pypi = fakes
    pypi.audience_status = status
    message = refused(github, pypi)
    assert f"HTTP {status}" in message
    assert "does not offer Trusted Publishing" in message
    assert github.requests == []  # no identity token is asked for an index that cannot take it


@pytest.mark.parametrize(("status", "token_ok"), [(500, True), (200, False)])
def test_github_token_endpoint_failure(
    fakes: tuple[FakeGitHubOIDC, FakePyPI], status: int, token_ok: bool
) -> None:
    github, pypi = fakes
    github.status = status
    environ = github.environ()
    if not token_ok:
        environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "ghs_WRONG_CANARY"
    message = refused(github, pypi, environ)
    assert "GitHub's OIDC token endpoint answered HTTP" in message
    assert "ghs_WRONG_CANARY" not in message
    assert pypi.mint_requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://upload.pypi.org/legacy/",  # the identity token must never travel in clear
        "ftp://127.0.0.1/legacy/",
        "file:///etc/passwd",
        "not a url",
    ],
)
def test_unsafe_or_bad_repository_url_is_refused_before_any_request(
    fakes: tuple[FakeGitHubOIDC, FakePyPI], url: str
) -> None:
    github, _pypi = fakes
    with pytest.raises(CredentialError, match="repository URL"):
        mint_token(url, github.environ(), out=io.StringIO())
    assert github.requests == []


def test_unsafe_request_url_from_the_environment(fakes: tuple[FakeGitHubOIDC, FakePyPI]) -> None:
    github, pypi = fakes
    environ = {**github.environ(), "ACTIONS_ID_TOKEN_REQUEST_URL": "http://example.com/t?x=1"}
    assert "not an https URL" in refused(github, pypi, environ)
    assert github.requests == []


def test_unreachable_index_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environ = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.invalid/x?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "ghs_CANARY",
    }
    with pytest.raises(CredentialError, match="cannot reach") as caught:
        mint_token(f"http://127.0.0.1:{port}/legacy/", environ, out=io.StringIO())
    assert "ghs_CANARY" not in str(caught.value)


def test_server_descriptions_never_echo_a_secret(fakes: tuple[FakeGitHubOIDC, FakePyPI]) -> None:
    """A misbehaving index that quotes the token back must not get it into our message."""
    github, pypi = fakes
    original = pypi._refuse

    def echoing(handler: Any, code: str, description: str) -> None:
        original(handler, code, f"{description}: {github.issued[-1]}")

    pypi._refuse = echoing  # type: ignore[method-assign]
    github.expired = True
    message = refused(github, pypi)
    assert "***" in message


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://upload.pypi.org/legacy/", "https://upload.pypi.org"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org"),
        ("http://127.0.0.1:8080/legacy/", "http://127.0.0.1:8080"),
        ("http://localhost:1/", "http://localhost:1"),
    ],
)
def test_index_base(url: str, base: str) -> None:
    assert index_base(url) == base


@pytest.mark.parametrize(
    ("environ", "available", "actions"),
    [
        ({}, False, False),
        ({"GITHUB_ACTIONS": "true"}, False, True),
        ({"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ""}, False, False),
        ({"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}, True, False),
        ({"GITHUB_ACTIONS": "false"}, False, False),
    ],
)
def test_detection(environ: dict[str, str], available: bool, actions: bool) -> None:
    assert trusted_publishing_available(environ) is available
    assert in_github_actions(environ) is actions


# ------------------------------------------------------- end to end, as the workflow runs it


def publish_step() -> dict[str, Any]:
    """The release workflow's publish step (its env and its script), read from the file."""
    workflow = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    [step] = [s for s in workflow["jobs"]["publish"]["steps"] if s.get("name") == "Publish"]
    return dict(step)


def run_publish_step(
    cwd: Path, github: FakeGitHubOIDC, pypi: FakePyPI, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run the publish step's script with bash, as the runner does, against the fakes.

    The step's only `env:` value (`REPOSITORY`, pypi or testpypi on GitHub) is the fake
    index's upload URL here; the job's OIDC variables come from the fake GitHub.
    """
    step = publish_step()
    assert set(step["env"]) == {"REPOSITORY"}
    env = {
        **os.environ,
        **github.environ(),
        "REPOSITORY": pypi.upload_url,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        **extra,
    }
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def assert_no_secret_printed(output: str, github: FakeGitHubOIDC, pypi: FakePyPI) -> None:
    masked = {f"::add-mask::{secret}" for secret in [*github.issued, *pypi.minted]}
    visible = "\n".join(line for line in output.splitlines() if line not in masked)
    for secret in secrets_of(github, pypi):
        assert secret not in visible


@pytest.mark.slow
@pytest.mark.repo_files
def test_publish_step_uploads_with_a_minted_token(released: GitRepo, index: LocalIndex) -> None:
    login = (index.username, index.password)
    with trusted_publishing(upstream=index.url, login=login) as (github, pypi):
        result = run_publish_step(released.path, github, pypi)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert len(pypi.minted) == 1
    assert pypi.uploads == pypi.minted * 2  # the wheel and the sdist, each with the token
    published = sorted(p.name for p in index.packages.iterdir())
    assert published == sorted(p.name for p in (released.path / "dist").glob("sample-*"))
    assert len(published) == 2
    assert f"::add-mask::{pypi.minted[0]}" in result.stdout.splitlines()
    assert "Trusted Publishing" in output
    assert_no_secret_printed(output, github, pypi)


@pytest.mark.slow
@pytest.mark.repo_files
def test_publish_step_with_a_token_also_set(released: GitRepo, index: LocalIndex) -> None:
    """Mixed configuration: Trusted Publishing wins over a long-lived token in the env."""
    canary = "pypi-CANARY-" + "x" * 40
    login = (index.username, index.password)
    with trusted_publishing(upstream=index.url, login=login) as (github, pypi):
        pypi.api_tokens.add(canary)  # the index would accept it too: which one is used?
        result = run_publish_step(released.path, github, pypi, TWINE_PASSWORD=canary)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert pypi.uploads == pypi.minted * 2
    assert canary not in output
    assert "credential: Trusted Publishing" in output
    assert_no_secret_printed(output, github, pypi)


@pytest.mark.slow
@pytest.mark.repo_files
def test_publish_step_refused_publisher_changes_nothing(
    released: GitRepo, index: LocalIndex
) -> None:
    login = (index.username, index.password)
    before = released.state()
    with trusted_publishing(upstream=index.url, login=login) as (github, pypi):
        pypi.publisher = Publisher(workflow="publish.yml")
        result = run_publish_step(released.path, github, pypi)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("releasekit: error: ")
    assert "workflow='release.yml'" in line
    assert pypi.uploads == []
    assert list(index.packages.iterdir()) == []
    assert released.state() == before
    assert_no_secret_printed(result.stdout + result.stderr, github, pypi)


@pytest.mark.slow
@pytest.mark.repo_files
def test_publish_step_without_id_token_permission_names_the_fix(
    released: GitRepo, index: LocalIndex
) -> None:
    """`id-token: write` missing: GitHub sets no ACTIONS_ID_TOKEN_REQUEST_* variables."""
    login = (index.username, index.password)
    before = released.state()
    with trusted_publishing(upstream=index.url, login=login) as (github, pypi):
        result = run_publish_step(
            released.path,
            github,
            pypi,
            ACTIONS_ID_TOKEN_REQUEST_URL="",
            ACTIONS_ID_TOKEN_REQUEST_TOKEN="",
        )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "id-token: write" in line
    assert github.requests == []
    assert pypi.uploads == []
    assert released.state() == before


@pytest.mark.slow
@pytest.mark.repo_files
def test_publish_step_needs_only_the_downloaded_files(
    released: GitRepo, index: LocalIndex, tmp_path: Path
) -> None:
    """The publish job checks out nothing: its working directory holds only dist/."""
    job = tmp_path / "job"
    shutil.copytree(released.path / "dist", job / "dist")
    login = (index.username, index.password)
    with trusted_publishing(upstream=index.url, login=login) as (github, pypi):
        result = run_publish_step(job, github, pypi)
    assert result.returncode == 0, result.stdout + result.stderr
    assert pypi.uploads == pypi.minted * 2
