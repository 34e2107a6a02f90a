"""The release journal: signals, crashes, --continue/--abort, and an undo that cannot stop.

Each test runs the real CLI in a subprocess on a real repository with a bare remote.
The fault-injection cases come from tests/fault_harness.py; this file runs a subset that
covers every kind of kill point, signal, target and resolution, and the full matrix is
scripts/release_fault_matrix.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BIN, GitRepo, git
from fault_harness import Case, make_template, reference, run_case
from test_release import CHANGELOG, opts, repo, run

from releasekit.errors import LockError, ReleaseError
from releasekit.git import Git
from releasekit.lock import release_lock

__all__ = ["repo"]  # the fixture, shared with test_release

pytestmark = pytest.mark.posix  # signals, process groups, hooks run by sh

RELEASE = [str(BIN / "releasekit"), "release", "minor", "--date", "2026-02-03", "--next-dev"]
JOURNAL = Path(".git") / "releasekit-release.json"


def cli(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "releasekit"), *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def paused(repo: GitRepo, tmp_path: Path, at: str) -> subprocess.Popen[str]:
    """Start a release that pauses at the step boundary `at` (the release's test hook)."""
    marker = tmp_path / f"paused-{at}"
    proc = subprocess.Popen(
        RELEASE,
        cwd=repo.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "RELEASEKIT_TEST_PAUSE_AT": at,
            "RELEASEKIT_TEST_PAUSE_FILE": str(marker),
        },
        start_new_session=True,
    )
    for _ in range(3000):
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.02)
    assert marker.exists(), proc.communicate()
    return proc


def crash(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the release: nothing it could catch."""
    proc.kill()
    proc.communicate(timeout=60)


# --- the fault-injection subset ------------------------------------------------------------

SUBSET = [
    Case("journal", "KILL", "process", "continue"),
    Case("write:1", "KILL", "group", "abort"),
    Case("commit", "KILL", "process", "continue"),
    Case("push", "KILL", "process", "abort"),  # pushed: abort refuses, continue finishes
    Case("in:commit", "KILL", "group", "continue"),  # a stale index.lock
    Case("in:commit", "KILL", "process", "abort"),  # git runs on after releasekit died
    Case("in:commit", "TERM", "process", "abort"),  # a hanging hook: git is stopped
    Case("in:tag", "TERM", "group", "continue"),
    Case("in:tag", "KILL", "group", "continue"),  # a stale refs/tags/v1.3.0.lock
    Case("in:post-commit", "KILL", "process", "continue"),
    Case("in:push", "TERM", "process", "abort"),  # the push is waited for: complete
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    where = tmp_path_factory.mktemp("template")
    made = make_template(where / "t")
    return made, reference(made, where / "reference")


@pytest.mark.slow
@pytest.mark.parametrize("case", SUBSET, ids=lambda case: case.name)
def test_a_killed_release_ends_complete_or_as_it_started(
    case: Case, template: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    made, released = template
    outcome = run_case(case, made, tmp_path / "case", released)
    assert outcome.survived, (outcome.detail, outcome.log)


# --- signals ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "code"), [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_each_handled_signal_undoes_and_exits_128_plus_its_number(
    repo: GitRepo, tmp_path: Path, name: str, code: int
) -> None:
    before = repo.state()
    proc = paused(repo, tmp_path, "tag")
    proc.send_signal(getattr(signal, name))
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert repo.state() == before
    assert not (repo.path / JOURNAL).exists()
    assert "the release was undone, nothing was changed" in err
    assert "Traceback" not in err


# --- a crash: the journal, status, refusals, --continue and --abort --------------------------


def test_after_a_crash_every_writing_command_refuses_and_status_names_the_state(
    repo: GitRepo, tmp_path: Path
) -> None:
    proc = paused(repo, tmp_path, "commit")
    crash(proc)
    status = cli(repo, "status")
    assert status.returncode == 1
    line = status.stderr.strip()
    assert line.count("\n") == 0
    assert "a release of 1.3.0 stopped after the commit" in line
    assert "releasekit release --continue" in line
    assert "releasekit release --abort" in line
    for command in (
        ["bump", "patch"],
        ["changelog", "add", "late entry"],
        ["changelog", "promote", "1.3.0"],
        ["init"],
        ["release", "patch"],
        ["release", "patch", "--dry-run"],
    ):
        result = cli(repo, *command)
        assert result.returncode == 1, command
        assert "stopped after the commit" in result.stderr, command
    assert cli(repo, "release", "--continue").returncode == 0
    assert repo.git("describe", "--tags", "--exact-match", "HEAD~1") == "v1.3.0"
    assert git(repo.remote, "rev-parse", "main") == repo.git("rev-parse", "HEAD")
    assert cli(repo, "release", "--continue").returncode == 1  # nothing left to continue


def test_abort_after_a_crash_restores_everything(repo: GitRepo, tmp_path: Path) -> None:
    before = repo.state()
    proc = paused(repo, tmp_path, "next-dev")
    crash(proc)
    assert repo.state() != before
    result = cli(repo, "release", "--abort")
    assert result.returncode == 0, result.stderr
    assert "back where it started" in result.stdout
    assert repo.state() == before


def test_abort_after_the_push_says_what_the_remote_has(repo: GitRepo, tmp_path: Path) -> None:
    proc = paused(repo, tmp_path, "push")
    crash(proc)
    result = cli(repo, "release", "--abort")
    assert result.returncode == 1
    head = repo.git("rev-parse", "HEAD")
    assert f"already on 'origin' (main at {head[:12]}, tag v1.3.0)" in result.stderr
    assert "releasekit release --continue" in result.stderr
    assert (repo.path / JOURNAL).exists()  # nothing was undone
    assert cli(repo, "release", "--continue").returncode == 0


def test_a_stale_index_lock_held_by_a_process_is_left_alone(repo: GitRepo, tmp_path: Path) -> None:
    proc = paused(repo, tmp_path, "commit")
    crash(proc)
    lock = repo.path / ".git" / "index.lock"
    lock.write_text("")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"f = open({str(lock)!r}); import time; time.sleep(60)"]
    )
    try:
        time.sleep(0.3)
        refused = cli(repo, "release", "--abort")
        assert refused.returncode == 1
        assert f"is held by pid {holder.pid}" in refused.stderr
        assert lock.exists()
    finally:
        holder.kill()
        holder.wait()
    result = cli(repo, "release", "--abort")
    assert result.returncode == 0, result.stderr
    assert "removed a stale .git/index.lock" in result.stdout
    assert not lock.exists()


# --- the undo never overwrites what someone else wrote ------------------------------------


def test_the_undo_keeps_a_file_changed_during_the_release(repo: GitRepo, tmp_path: Path) -> None:
    # The defect: an entry written to the changelog while a release ran was overwritten by
    # that release's undo. `changelog add` is now refused while the release holds the lock,
    # and a file changed by anything else is kept by the undo.
    proc = paused(repo, tmp_path, "tag")
    add = cli(repo, "changelog", "add", "written during the release")
    assert add.returncode == 1
    assert "another releasekit command is writing" in add.stderr
    log = repo.path / "CHANGELOG.md"
    edited = log.read_bytes() + b"\n- Typed in an editor meanwhile.\n"
    log.write_bytes(edited)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert log.read_bytes() == edited
    assert "'CHANGELOG.md' was changed by someone else" in err
    assert repo.git("rev-parse", "HEAD") == repo.git("rev-parse", "v1.2.0^{commit}")
    assert repo.git("tag", "-l", "v1.3.0") == ""
    assert '"1.2.0"' in (repo.path / "src/sample/__init__.py").read_text()


# --- any exception is undone; the tag and commit messages go through files -----------------


def test_any_exception_in_a_step_is_undone(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    before = repo.state()

    def broken(*args: object, **kwargs: object) -> None:
        msg = "boom"
        raise RuntimeError(msg)

    monkeypatch.setattr(Git, "create_tag", broken)
    with pytest.raises(ReleaseError, match=r"RuntimeError: boom; the release was undone"):
        run(repo, opts(next_dev=True))
    assert repo.state() == before


def test_the_tag_step_takes_any_bytes(repo: GitRepo, tmp_path: Path) -> None:
    # The changelog check refuses control characters before a release starts; the tag step
    # itself must still never break on them (the message goes to git through a file).
    message = tmp_path / "message"
    message.write_bytes(b"### Added\n\n- A NUL \x00 byte in an entry.\n")
    Git(repo.path).create_tag("v9.9.9", message, target="HEAD", sign=False)
    body = subprocess.run(
        ["git", "cat-file", "tag", "v9.9.9"], cwd=repo.path, capture_output=True, check=True
    ).stdout
    assert b"- A NUL \x00 byte in an entry.\n" in body


@pytest.mark.parametrize(
    "entry",
    [
        "- " + ("long notes " * 13_000).strip(),  # about 140 KiB: over the 128 KiB argv limit
    ],
    ids=["over-128-KiB"],
)
def test_notes_of_any_size_and_bytes_reach_the_tag(repo: GitRepo, entry: str) -> None:
    log = CHANGELOG.replace("- A second line.", entry)
    (repo.path / "CHANGELOG.md").write_text(log)
    repo.commit_all("notes")
    repo.git("push", "-q", "origin", "main")
    run(repo, opts())
    message = subprocess.run(
        ["git", "cat-file", "tag", "v1.3.0"], cwd=repo.path, capture_output=True, check=True
    ).stdout
    assert entry.encode() in message
    assert git(repo.remote, "rev-parse", "v1.3.0") == repo.git("rev-parse", "v1.3.0")


def test_signed_is_said_only_when_the_tag_carries_a_signature(
    repo: GitRepo, tmp_path: Path
) -> None:
    # A signing program that reports success and signs nothing: git makes a plain tag.
    fake = tmp_path / "fake-gpg"
    fake.write_text(
        '#!/bin/sh\ncat >/dev/null\necho "[GNUPG:] SIG_CREATED D 1 8 00 0 X" >&2\nexit 0\n'
    )
    fake.chmod(0o755)
    repo.git("config", "gpg.program", str(fake))
    before = repo.state()
    result = cli(repo, "release", "minor", "--sign")
    assert result.returncode == 1
    assert "without a signature" in result.stderr
    assert "(signed" not in result.stdout
    assert repo.state() == before


# --- the lock ---------------------------------------------------------------------------


def test_a_symlinked_lock_is_refused_and_its_target_untouched(
    repo: GitRepo, tmp_path: Path
) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    (repo.path / ".git" / "releasekit.lock").symlink_to(target)
    with pytest.raises(LockError, match="symbolic link"), release_lock(repo.path / ".git"):
        pass
    result = cli(repo, "release", "minor")
    assert result.returncode == 1
    assert "is a symbolic link" in result.stderr
    assert target.read_text() == "keep me\n"


def test_bump_waits_for_no_one_but_refuses_while_a_release_runs(
    repo: GitRepo, tmp_path: Path
) -> None:
    proc = paused(repo, tmp_path, "write")
    try:
        result = cli(repo, "bump", "patch")
        assert result.returncode == 1
        assert "another releasekit command is writing in this repository" in result.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert cli(repo, "bump", "patch").returncode == 0


# --- a full disk --------------------------------------------------------------------------


def _small_disk(where: Path, size: str) -> bool:
    where.mkdir(parents=True)
    if sys.platform == "win32" or os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_a_full_disk_fails_before_anything_changes_and_the_undo_finishes_later(
    tmp_path: Path,
) -> None:
    disk = tmp_path / "disk"
    if not _small_disk(disk, "2m"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        from conftest import init_repo
        from test_release import PROJECT

        made = init_repo(disk / "repo", PROJECT)
        made.git("tag", "-a", "-m", "1.2.0", "v1.2.0")
        made.git("push", "-q", "origin", "v1.2.0")
        before = made.state()
        proc = paused(made, tmp_path, "commit")
        filler = disk / "filler"
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={filler}", "bs=4k"], capture_output=True, check=False
        )
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143
        assert "the undo could not finish" in err
        assert "releasekit release --abort" in err
        filler.unlink()
        result = cli(made, "release", "--abort")
        assert result.returncode == 0, result.stderr
        assert made.state() == before
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
