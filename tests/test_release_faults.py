"""Faults injected at each step of a release: every one ends where it started.

The faults are real: git hooks that fail, a `reference-transaction` hook that refuses the
tag, a bare remote whose `pre-receive` or `update` hook refuses the push, and SIGINT sent
to the release process from a hook at a chosen step.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import BIN, GitRepo, git
from test_release import opts, repo, run

__all__ = ["repo"]  # the fixture, shared with test_release

from releasekit.errors import PushedButIncompleteError, ReleaseError

pytestmark = pytest.mark.posix  # signals, process groups, hooks run by sh


def hook(where: Path, name: str, body: str) -> None:
    path = where / "hooks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def undone(repo: GitRepo, match: str) -> str:
    """Run a release that must fail and be undone; check nothing changed anywhere."""
    before = repo.state()
    with pytest.raises(ReleaseError) as caught:
        run(repo, opts(next_dev=True))
    assert repo.state() == before
    message = str(caught.value)
    assert match in message
    assert "the release was undone, nothing was changed" in message
    return message


def test_a_failing_commit_hook(repo: GitRepo) -> None:
    hook(repo.path / ".git", "pre-commit", "echo 'lint says no' >&2\nexit 1\n")
    message = undone(
        repo, "failed while committing 'Release 1.3.0' on main (3 file(s)): git commit"
    )
    assert "lint says no" in message


def test_a_failing_tag(repo: GitRepo) -> None:
    hook(
        repo.path / ".git",
        "reference-transaction",
        '[ "$1" = prepared ] || exit 0\nif grep -q refs/tags/; then exit 1; fi\n',
    )
    undone(repo, "failed while tagging v1.3.0 (annotated): git tag failed")


def test_a_failing_next_dev_commit(repo: GitRepo) -> None:
    hook(repo.path / ".git", "commit-msg", 'if grep -q "^Start"  "$1"; then exit 1; fi\n')
    undone(repo, "next development version 1.3.1.dev0")


def test_a_remote_that_rejects_the_push(repo: GitRepo) -> None:
    hook(repo.remote, "pre-receive", "echo 'protected branch' >&2\nexit 1\n")
    message = undone(repo, "failed while pushing main and v1.3.0 to origin (atomic): git push")
    assert "protected branch" in message


def test_a_remote_that_accepts_the_branch_but_not_the_tag(repo: GitRepo) -> None:
    hook(repo.remote, "update", 'case "$1" in refs/tags/*) echo "no tags" >&2; exit 1;; esac\n')
    undone(repo, "(atomic): git push failed")  # the atomic push left the branch alone too


def test_a_remote_that_loses_the_tag_after_the_push(repo: GitRepo) -> None:
    # The push is confirmed, so nothing is undone: the error says what to do next.
    hook(repo.remote, "post-receive", "git update-ref -d refs/tags/v1.3.0\n")
    with pytest.raises(PushedButIncompleteError, match=r"git push --atomic origin main v1\.3\.0"):
        run(repo, opts())
    assert repo.git("rev-parse", "v1.3.0^{commit}") == repo.git("rev-parse", "HEAD")
    assert git(repo.remote, "rev-parse", "main") == repo.git("rev-parse", "HEAD")


# --- interrupts ---------------------------------------------------------------------------


def _interrupt_from(where: Path, name: str, body: str, pidfile: Path) -> None:
    """A hook that sends SIGINT to the release process (once), when `body` says so."""
    fired = pidfile.with_suffix(".fired")
    hook(
        where,
        name,
        f'[ -e "{fired}" ] && exit 0\n{body}\n'
        f'while [ ! -s "{pidfile}" ]; do sleep 0.01; done\n'
        f'touch "{fired}"\nkill -INT "$(cat "{pidfile}")"\n',
    )


def _release_process(repo: GitRepo, pidfile: Path) -> tuple[int, str, str]:
    command = [str(BIN / "releasekit"), "release", "minor", "--date", "2026-02-03", "--next-dev"]
    proc = subprocess.Popen(
        command, cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    pidfile.write_text(str(proc.pid))
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


STEPS = [
    # (hook home, hook, condition, step named in the message)
    (
        "local",
        "reference-transaction",
        '[ "$1" = committed ] || exit 0\ngrep -q refs/heads/main || exit 0',
        "committing",
    ),
    (
        "local",
        "reference-transaction",
        '[ "$1" = committed ] || exit 0\ngrep -q refs/tags/ || exit 0',
        "tagging",
    ),
    (
        "local",
        "post-commit",
        'git log -1 --format=%s | grep -q "^Start" || exit 0',
        "next development version",
    ),
    ("remote", "pre-receive", "", "pushing"),
]


@pytest.mark.parametrize(("home", "name", "condition", "step"), STEPS, ids=lambda v: str(v)[:12])
def test_an_interrupt_at_each_step_undoes_everything(
    repo: GitRepo, tmp_path: Path, home: str, name: str, condition: str, step: str
) -> None:
    pidfile = tmp_path / "release.pid"
    where = repo.path / ".git" if home == "local" else repo.remote
    if home == "remote":
        # Interrupted during the push, and the remote refuses it: nothing may remain.
        condition = ""
        _interrupt_from(where, name, condition, pidfile)
        path = where / "hooks" / name
        path.write_text(path.read_text() + "exit 1\n")
    else:
        _interrupt_from(where, name, condition, pidfile)
    before = repo.state()
    code, out, err = _release_process(repo, pidfile)
    assert (code, repo.state()) == (130, before), err
    assert err.startswith("releasekit: error: interrupted while")
    assert step in err
    assert "nothing was changed" in err
    assert "Traceback" not in err
    assert "undone:" in out


def test_an_interrupt_after_a_confirmed_push_keeps_the_release(
    repo: GitRepo, tmp_path: Path
) -> None:
    pidfile = tmp_path / "release.pid"
    _interrupt_from(repo.remote, "pre-receive", "", pidfile)
    code, out, err = _release_process(repo, pidfile)
    assert code == 0, err
    assert "the release is complete" in out
    assert git(repo.remote, "rev-parse", "v1.3.0^{commit}") == repo.git("rev-parse", "HEAD~1")
