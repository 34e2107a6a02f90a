"""Bounded waits: a remote or an index that accepts and never answers, or trickles, ends
in one line naming the limit, never in a hang.

Each run has a subprocess timeout far above the limits set here: a hang fails the test
with TimeoutExpired, without asserting anything about speed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, GitRepo
from slow_servers import Behaviour, slow_server

from releasekit.errors import UsageError
from releasekit.timeouts import Limits, limits

pytestmark = pytest.mark.slow

FAST = {
    "RELEASEKIT_GIT_TIMEOUT": "3",
    "RELEASEKIT_GIT_LOW_SPEED_TIME": "2",
    "RELEASEKIT_CONNECT_TIMEOUT": "2",
    "RELEASEKIT_READ_TIMEOUT": "2",
    "RELEASEKIT_INDEX_DEADLINE": "3",
    "RELEASEKIT_UPLOAD_ATTEMPTS": "1",
}


def cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "releasekit"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **FAST, **(env or {})},
        timeout=90,  # far above every limit: reaching it means a hang
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("releasekit: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


GIT_LIMITS = {
    "wall-clock": (
        {"RELEASEKIT_GIT_TIMEOUT": "3", "RELEASEKIT_GIT_LOW_SPEED_TIME": "60"},
        "did not finish within 3s (RELEASEKIT_GIT_TIMEOUT)",
    ),
    "low-speed": (
        {"RELEASEKIT_GIT_TIMEOUT": "60", "RELEASEKIT_GIT_LOW_SPEED_TIME": "2"},
        "less than 1 KiB/s for 2s (RELEASEKIT_GIT_LOW_SPEED_TIME)",
    ),
}


@pytest.mark.parametrize("limit", GIT_LIMITS)
@pytest.mark.parametrize("behaviour", ["silent", "trickle-headers"])
@pytest.mark.parametrize("command", [["status"], ["release", "patch"]])
def test_a_remote_that_never_answers(
    git_repo: GitRepo, behaviour: Behaviour, command: list[str], limit: str
) -> None:
    env, says = GIT_LIMITS[limit]
    (git_repo.path / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n- A fix.\n")
    git_repo.commit_all("changelog")
    with slow_server(behaviour) as url:
        git_repo.git("remote", "set-url", "origin", f"{url}repo.git")
        before = git_repo.git("rev-parse", "HEAD")
        result = cli(git_repo.path, *command, env=env)
    assert result.returncode == 1, result
    assert says in result.stdout + result.stderr
    assert git_repo.git("rev-parse", "HEAD") == before
    assert git_repo.git("tag") == ""


@pytest.mark.parametrize(
    ("behaviour", "limit"),
    [
        # Reads are retried on a read timeout, so the total deadline is what ends a silence.
        ("silent", "within 3s (RELEASEKIT_INDEX_DEADLINE)"),
        ("trickle-headers", "within 3s (RELEASEKIT_INDEX_DEADLINE)"),
        ("trickle", "within 3s (RELEASEKIT_INDEX_DEADLINE)"),
    ],
)
def test_an_index_that_never_finishes_a_read(
    released: GitRepo, behaviour: Behaviour, limit: str
) -> None:
    with slow_server(behaviour) as url:
        result = cli(
            released.path,
            "publish",
            "--repository",
            url,
            "--dry-run",
            env={"TWINE_PASSWORD": "pw-123456"},
        )
    assert result.returncode == 1, result
    assert limit in one_line(result)


def test_an_upload_that_is_never_answered(released: GitRepo) -> None:
    with slow_server("silent-upload") as url:
        result = cli(
            released.path, "publish", "--repository", url, "--no-install",
            env={"TWINE_PASSWORD": "pw-123456"},
        )  # fmt: skip
    assert result.returncode == 1, result
    assert "stopped answering for 2s (RELEASEKIT_READ_TIMEOUT)" in one_line(result)


def test_the_embedded_index_start_is_bounded(released: GitRepo) -> None:
    result = cli(
        released.path, "publish", "--repository", "local", "--dry-run",
        env={"RELEASEKIT_INDEX_START_TIMEOUT": "0.001"},
    )  # fmt: skip
    assert result.returncode == 1, result
    assert "did not start within 0.001s (RELEASEKIT_INDEX_START_TIMEOUT)" in one_line(result)


def test_defaults_and_overrides() -> None:
    assert limits({}) == Limits()
    changed = limits({"RELEASEKIT_GIT_TIMEOUT": "5", "RELEASEKIT_UPLOAD_ATTEMPTS": "2"})
    assert (changed.git, changed.upload_attempts) == (5.0, 2)
    assert limits({"RELEASEKIT_RETRY_BACKOFF": "0"}).retry_backoff == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RELEASEKIT_GIT_TIMEOUT", "soon"),
        ("RELEASEKIT_GIT_TIMEOUT", "0"),
        ("RELEASEKIT_READ_TIMEOUT", "-1"),
        ("RELEASEKIT_INDEX_DEADLINE", "inf"),
        ("RELEASEKIT_UPLOAD_ATTEMPTS", "0"),
        ("RELEASEKIT_UPLOAD_ATTEMPTS", "1.5"),
    ],
)
def test_a_bad_limit_is_one_line(name: str, value: str) -> None:
    with pytest.raises(UsageError, match=name):
        limits({name: value})


def test_a_bad_limit_through_the_cli(git_repo: GitRepo) -> None:
    result = cli(git_repo.path, "status", env={"RELEASEKIT_GIT_TIMEOUT": "soon"})
    assert result.returncode == 2, result
    assert "RELEASEKIT_GIT_TIMEOUT='soon' is not a number of seconds" in one_line(result)
