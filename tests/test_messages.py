"""Messages that tell the truth: one line for bad input, the right words for each failure."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import BIN, GitRepo, run_cli
from echo_index import Echo, echo_index
from loopback import running
from publish_support import Faults, fault_proxy, index_state

from releasekit import publish
from releasekit.errors import PublishError
from releasekit.localindex import LocalIndex

Factory = Callable[..., GitRepo]
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- A bug.\n"


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("releasekit: error: "), stderr
    return lines[0]


# --- bad input: one line, not a traceback ------------------------------------------------


@pytest.mark.parametrize(
    ("pyproject", "says"),
    [
        ('project = "x"\n', "project must be a table"),
        ("tool = 1\n[project]\nname = 'x'\nversion = '1.0'\n", "tool must be a table"),
        ("[project]\nname = 'x'\nversion = '1.0'\n[tool]\nreleasekit = []\n", "tool.releasekit"),
        ("[project]\nname='x'\nversion='1.0'\n[tool.hatch]\nversion = 'a'\n", "tool.hatch.version"),
        ("[project]\nname = 'x'\ndynamic = 'version'\n", "project.dynamic must be a list"),
    ],
)
@pytest.mark.parametrize("command", [["version"], ["status"], ["bump", "patch", "--dry-run"]])
def test_a_misshapen_pyproject_is_one_line(
    make_repo: Factory, pyproject: str, says: str, command: list[str]
) -> None:
    repo = make_repo({"pyproject.toml": pyproject})
    result = run_cli(repo.path, *command)
    assert result.code == 1, result
    assert says in one_line(result.err)


def test_malformed_toml_in_version_files_is_one_line(make_repo: Factory) -> None:
    repo = make_repo(
        {
            "pyproject.toml": "[project]\nname = 'x'\nversion = '1.0'\n"
            "[tool.releasekit]\nversion-files = ['other.toml']\n",
            "other.toml": "version = \n",
        }
    )
    result = run_cli(repo.path, "version")
    assert result.code == 1, result
    assert "'other.toml' is not valid TOML" in one_line(result.err).replace(
        str(repo.path) + "/", ""
    )


class _BadJson(BaseHTTPRequestHandler):
    body = b'{"files": [{"filename": "x.whl", "url": '

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


@contextmanager
def bad_json_index() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadJson)
    with running(server) as url:
        yield url


@pytest.mark.parametrize("read", [publish.index_files, publish.file_urls])
def test_malformed_index_json_is_one_line(read: Callable[..., object]) -> None:
    import requests

    with bad_json_index() as url, requests.Session() as session:
        target = publish.Target("url", url, f"{url}simple/")
        with pytest.raises(PublishError, match="is not valid PEP 691 JSON"):
            read(session, target, "sample")


# --- the tag prefix ------------------------------------------------------------------------


def project_with_prefix(prefix: str) -> dict[str, str | bytes]:
    return {
        "pyproject.toml": f"[project]\nname = 'x'\nversion = '1.2.0'\n"
        f"[tool.releasekit]\ntag-prefix = {prefix!r}\n",
        "CHANGELOG.md": CHANGELOG,
    }


def test_a_tag_prefix_git_refuses_fails_the_preflight(make_repo: Factory) -> None:
    repo = make_repo(project_with_prefix("v~"))
    before = repo.state()
    result = run_cli(repo.path, "release", "patch", "--dry-run")
    assert result.code == 1, result
    assert "FAILED: tag name valid: 'v~1.2.1' is not a valid git tag name" in result.out
    status = run_cli(repo.path, "status")
    assert status.code == 1
    assert "FAILED: tag name valid" in status.out
    assert repo.state() == before


def test_a_tag_prefix_like_an_option_is_refused(make_repo: Factory) -> None:
    repo = make_repo(project_with_prefix("--force"))
    result = run_cli(repo.path, "release", "patch", "--dry-run")
    assert result.code == 1, result
    assert "tag-prefix '--force' must not start with '-'" in one_line(result.err)


def test_remedies_quote_user_values(make_repo: Factory) -> None:
    repo = make_repo(project_with_prefix("$(id)"))
    repo.git("tag", "$(id)1.2.1")
    result = run_cli(repo.path, "release", "patch", "--dry-run")
    assert result.code == 1, result
    assert "(git tag -d '$(id)1.2.1')" in result.err
    assert "-d $(id)" not in result.err


# --- the index's answers ----------------------------------------------------------------


def test_a_server_error_on_a_read_is_named(released: GitRepo, index: LocalIndex) -> None:
    with echo_index(index, Echo(canary="x" * 8, read="500")) as url:
        result = run_cli(
            released.path, "publish", "--repository", url, "--dry-run",
            env={"TWINE_PASSWORD": "pw-123456"},
        )  # fmt: skip
    line = one_line(result.err)
    assert "answered HTTP 500 (a server error)" in line
    assert "RetryError" not in line
    assert "unreachable" not in line


def test_a_server_error_on_an_upload_is_named(released: GitRepo, index: LocalIndex) -> None:
    with echo_index(index, Echo(canary="x" * 8, upload="503")) as url:
        result = run_cli(
            released.path, "publish", "--repository", url, "--no-install",
            env={"TWINE_PASSWORD": "pw-123456", "RELEASEKIT_UPLOAD_ATTEMPTS": "2",
                 "RELEASEKIT_RETRY_BACKOFF": "0"},
        )  # fmt: skip
    assert "answered HTTP 503 (a server error)" in one_line(result.err)


def test_a_stored_but_unacknowledged_upload_carries_on(
    released: GitRepo, index: LocalIndex
) -> None:
    # The index stores the wheel but the answer is lost; the retry hears "already exists".
    faults = Faults(posts=["store-then-reset"])
    with fault_proxy(index.url, faults) as url:
        result = run_cli(
            released.path, "publish", "--repository", url, "--no-install",
            env={"TWINE_USERNAME": index.username, "TWINE_PASSWORD": index.password,
                 "RELEASEKIT_RETRY_BACKOFF": "0"},
        )  # fmt: skip
    assert result.code == 0, result
    assert "already on the index with the identical sha256 (an earlier attempt" in result.out
    assert "verified sample-1.2.0-py2.py3-none-any.whl" in result.out
    assert len(index_state(index.packages)) == 2


def test_already_exists_with_other_content_is_still_an_error(
    released: GitRepo, index: LocalIndex
) -> None:
    # The index says the file exists, yet it does not have our bytes: bump the version.
    with echo_index(index, Echo(canary="x" * 8, upload="409")) as url:
        result = run_cli(
            released.path, "publish", "--repository", url, "--no-install",
            env={"TWINE_PASSWORD": "pw-123456"},
        )  # fmt: skip
    assert result.code == 1
    assert "already exists on the index (HTTP 409)" in one_line(result.err)


# --- a reader that goes away ------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["--help"], ["--list"], ["version"], ["status"], ["changelog", "check"], ["notes", "1.2.0"]],
)
def test_a_closed_pipe_is_quiet(make_repo: Factory, command: list[str]) -> None:
    repo = make_repo(
        {
            "pyproject.toml": "[project]\nname = 'x'\nversion = '1.2.0'\n",
            "CHANGELOG.md": CHANGELOG + "\n## [1.2.0] - 2026-01-01\n\n### Added\n\n- Start.\n",
        }
    )
    repo.git("tag", "-a", "-m", "1.2.0", "v1.2.0")
    repo.git("push", "-q", "origin", "v1.2.0")
    # The reader is gone before releasekit writes its first line (as `| head -0` would be).
    process = subprocess.Popen(
        [str(BIN / "releasekit"), *command],
        cwd=repo.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert b"Traceback" not in err
    assert b"Exception ignored" not in err
    assert b"BrokenPipe" not in err
    assert process.returncode in {141, 1}, err  # 1: status's own refusal, said on stderr
    if process.returncode == 1:
        assert err.decode().startswith("releasekit: error: "), err
