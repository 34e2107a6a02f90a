"""Kill a real release at every step boundary and inside every git call, then recover.

One case: copy a prepared repository (project, bare remote), start `releasekit release
minor --next-dev` as a real process in its own process group, wait until it reaches the
kill point, send SIGTERM or SIGKILL to the process or to its whole group, then resolve
with `releasekit release --continue` or `--abort` (an abort that is refused because the
push reached the remote is followed by `--continue`, as its message says). The case
survives when the repository ends byte-for-byte as it started (work tree, refs, index,
HEAD, status, the remote's refs) or exactly as an uninterrupted release leaves it (the
commit and tag dates are fixed, so a finished release has the very same objects), with no
journal, no index.lock and no stray temporary file.

Kill points:

* step boundaries, through the release's test hook `RELEASEKIT_TEST_PAUSE_AT` (it pauses
  after the step is recorded and touches a file to say so; see `releasekit.steps`);
* inside git calls: hooks that say they started, then wait for a `go` file. A SIGKILL of
  the process alone leaves that git running: the harness then checks that `--continue`
  refuses while it runs, lets it end, and only then resolves.

Used by tests/test_release_journal.py (a subset) and scripts/release_fault_matrix.py (all).
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
RELEASEKIT = str(BIN / "releasekit")
COMMAND = [RELEASEKIT, "release", "minor", "--date", "2026-02-03", "--next-dev"]

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
}

CHANGELOG = """\
# Changelog

## [Unreleased]

### Added

- The frobnicator.

## [1.2.0] - 2025-06-01

### Fixed

- An old bug.
"""

PROJECT = {
    "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"'
    '\n\n[project]\nname = "sample"\nversion = "1.2.0"\n',
    "src/sample/__init__.py": '__version__ = "1.2.0"\n',
    "CHANGELOG.md": CHANGELOG,
}

BOUNDARIES = ("journal", "write:1", "write", "commit", "tag", "next-dev", "push")

_SUBJECT = "git log -1 --format=%s"
# Inside git calls: (hook home, hook name, condition before the wait).
IN_GIT: dict[str, tuple[str, str, str]] = {
    # git holds index.lock while pre-commit runs: a killed group leaves it stale.
    "in:commit": ("local", "pre-commit", f"{_SUBJECT} | grep -q '^Release' && exit 0"),
    "in:post-commit": ("local", "post-commit", f"{_SUBJECT} | grep -q '^Release' || exit 0"),
    "in:tag": (
        "local", "reference-transaction",
        '[ "$1" = prepared ] || exit 0\ngrep -q refs/tags/ || exit 0',
    ),
    "in:next-dev": ("local", "commit-msg", 'grep -q "^Start" "$1" || exit 0'),
    "in:push": ("remote", "pre-receive", ""),
}  # fmt: skip

KILL_POINTS = (*BOUNDARIES, *IN_GIT)
SIGNALS = ("TERM", "KILL")
TARGETS = ("process", "group")
RESOLUTIONS = ("continue", "abort")


def env() -> dict[str, str]:
    """The environment of every command: fixed dates, no system or user git config."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("RELEASEKIT_TEST",))}
    return {**keep, **GIT_ENV}


def git(cwd: Path, *args: str) -> str:
    """Run git; fail loudly."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, env=env()
    )
    if done.returncode != 0:
        msg = f"git {' '.join(args)} failed in {cwd}: {done.stderr}"
        raise RuntimeError(msg)
    return done.stdout.strip()


def make_template(where: Path) -> Path:
    """A project at 1.2.0 with Unreleased entries, tagged v1.2.0, pushed to a bare origin."""
    repo, remote = where / "repo", where / "origin.git"
    where.mkdir(parents=True, exist_ok=True)
    git(where, "init", "-q", "--bare", "-b", "main", str(remote))
    git(where, "init", "-q", "-b", "main", str(repo))
    for key, value in (
        ("user.name", "Release Tester"),
        ("user.email", "tester@example.invalid"),
        ("commit.gpgsign", "false"),
        ("tag.gpgsign", "false"),
    ):
        git(repo, "config", key, value)
    git(repo, "remote", "add", "origin", str(remote))
    for name, text in PROJECT.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial commit")
    git(repo, "tag", "-a", "-m", "1.2.0", "v1.2.0")
    git(repo, "push", "-q", "origin", "main", "v1.2.0")
    return where


def copy_template(template: Path, where: Path) -> tuple[Path, Path]:
    """A fresh copy of the template repository and its remote under `where`."""
    shutil.copytree(template, where, symlinks=True)
    repo, remote = where / "repo", where / "origin.git"
    git(repo, "remote", "set-url", "origin", str(remote))
    return repo, remote


def state(repo: Path, remote: Path) -> dict[str, object]:
    """Everything a release may touch, to compare byte for byte."""
    files = {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }
    return {
        "files": files,
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "index": git(repo, "ls-files", "--stage"),
        "head": git(repo, "symbolic-ref", "HEAD") + " " + git(repo, "rev-parse", "HEAD"),
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "remote": git(remote, "for-each-ref", "--format=%(refname) %(objectname)"),
        "leftovers": sorted(
            name
            for name in ("releasekit-release.json", "index.lock")
            if (repo / ".git" / name).exists()
        ),
    }


@dataclass(frozen=True)
class Case:
    """One kill: where, which signal, to whom, and how the user resolves it."""

    point: str
    signal: str
    target: str
    resolution: str

    @property
    def name(self) -> str:
        """A short id."""
        return f"{self.point}-{self.signal}-{self.target}-{self.resolution}"


def all_cases() -> Iterator[Case]:
    """The full matrix."""
    for point, sig, target, resolution in itertools.product(
        KILL_POINTS, SIGNALS, TARGETS, RESOLUTIONS
    ):
        yield Case(point, sig, target, resolution)


@dataclass
class Outcome:
    """What happened in one case."""

    case: Case
    ended: str  # "original", "released" or "BROKEN"
    detail: str
    log: list[str]

    @property
    def survived(self) -> bool:
        """Whether the case ended in one of the two allowed states."""
        return self.ended in ("original", "released")


def _hook(where: Path, name: str, condition: str, marker: Path, go: Path) -> None:
    path = where / "hooks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\n"
        f"{condition}\n"
        f'echo "$$" > "{marker}"\n'
        f'i=0; while [ ! -e "{go}" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n'
        "exit 0\n"
    )
    path.chmod(0o755)


def _cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RELEASEKIT, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env=env(),
        timeout=120,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def _git_running(repo: Path) -> bool:
    from releasekit.recovery import git_processes

    return bool(git_processes(repo))


def reference(template: Path, where: Path) -> dict[str, object]:
    """The state an uninterrupted release leaves."""
    repo, remote = copy_template(template, where)
    done = subprocess.run(
        COMMAND, cwd=repo, capture_output=True, text=True, check=False, env=env(), timeout=120
    )
    if done.returncode != 0:
        msg = f"the reference release failed: {done.stderr}"
        raise RuntimeError(msg)
    return state(repo, remote)


class _Broken(Exception):
    """The case did not end as it must."""


def run_case(case: Case, template: Path, where: Path, released: Mapping[str, object]) -> Outcome:
    """Run one case in `where` (see the module docstring)."""
    repo, remote = copy_template(template, where)
    before = state(repo, remote)
    log: list[str] = []
    try:
        _kill(case, repo, remote, where, log)
        _resolve(case, repo, where / "go", log)
    except _Broken as broken:
        return Outcome(case, "BROKEN", str(broken), log)
    after = state(repo, remote)
    if after == before:
        return Outcome(case, "original", "", log)
    if after == released:
        return Outcome(case, "released", "", log)
    differs = [key for key in after if after[key] not in (before[key], released[key])]
    return Outcome(case, "BROKEN", f"neither state: {differs}", log)


def _kill(case: Case, repo: Path, remote: Path, where: Path, log: list[str]) -> None:
    if sys.platform == "win32":  # SIGKILL and process groups are POSIX
        msg = "the fault harness needs POSIX signals and process groups"
        raise _Broken(msg)
    marker, go = where / "reached", where / "go"
    run_env = env()
    if case.point in IN_GIT:
        home, name, condition = IN_GIT[case.point]
        _hook(repo / ".git" if home == "local" else remote, name, condition, marker, go)
    else:
        run_env["RELEASEKIT_TEST_PAUSE_AT"] = case.point
        run_env["RELEASEKIT_TEST_PAUSE_FILE"] = str(marker)
    proc = subprocess.Popen(
        COMMAND,
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=run_env,
        start_new_session=True,  # its own process group, which the harness may kill
    )
    try:
        if not _wait_for(marker, proc):
            _, err = proc.communicate(timeout=60)
            msg = f"never reached {case.point}: {err.strip()}"
            raise _Broken(msg)
        signum = signal.SIGTERM if case.signal == "TERM" else signal.SIGKILL
        if case.target == "group":
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        if case.signal == "TERM":
            go.touch()  # a push is waited for; a stopped git leaves its hook waiting
        _, err = proc.communicate(timeout=120)
        if case.target == "group" and case.signal == "KILL":
            _wait_group_gone(proc.pid)  # its git and hooks are dying too, not running on
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    log.append(f"release exit {proc.returncode}: {err.strip()[-300:]}")
    if case.signal == "TERM" and proc.returncode not in (143, 0):
        msg = f"SIGTERM gave exit {proc.returncode}"
        raise _Broken(msg)
    if "Traceback" in err:
        msg = "a traceback"
        raise _Broken(msg)


def _wait_group_gone(group: int) -> None:
    """Wait until every process of a SIGKILLed group has died and been reaped."""
    if sys.platform == "win32":  # no process groups (the harness refuses to run there)
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    msg = f"process group {group} outlived SIGKILL"
    raise _Broken(msg)


def _resolve(case: Case, repo: Path, go: Path, log: list[str]) -> None:
    if _git_running(repo):
        refused = _cli(repo, "release", f"--{case.resolution}")
        log.append(f"with git still running: exit {refused.returncode}: {refused.stderr.strip()}")
        if refused.returncode == 0 or "still running" not in refused.stderr:
            msg = "recovery did not wait for the running git"
            raise _Broken(msg)
    go.touch()
    deadline = time.monotonic() + 60
    while _git_running(repo) and time.monotonic() < deadline:
        time.sleep(0.05)
    if (repo / ".git" / "releasekit-release.json").exists():
        status = _cli(repo, "status")
        log.append(f"status: {status.stderr.strip()}")
        if status.returncode != 1 or " stopped " not in status.stderr:
            msg = "status did not name the stopped release"
            raise _Broken(msg)
        bump = _cli(repo, "bump", "patch")
        if bump.returncode != 1 or "--continue" not in bump.stderr:
            msg = "bump did not refuse"
            raise _Broken(msg)
    resolved = _cli(repo, "release", f"--{case.resolution}")
    log.append(f"--{case.resolution}: exit {resolved.returncode}: {resolved.stderr.strip()}")
    if case.resolution == "abort" and "already on" in resolved.stderr:
        resolved = _cli(repo, "release", "--continue")
        log.append(f"then --continue: exit {resolved.returncode}: {resolved.stderr.strip()}")
    if "Traceback" in resolved.stderr:
        msg = "a traceback while resolving"
        raise _Broken(msg)
