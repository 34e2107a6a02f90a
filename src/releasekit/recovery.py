"""Finish or undo a release from its journal: the release itself, `--continue`, `--abort`.

`finish` runs the steps that are not done yet, then pushes and verifies. `undo` takes a
release back to the journal's start and cannot be stopped half-way: it runs every part
even when one fails, files first, and never overwrites what someone else wrote since.
A push that reached the remote is never undone behind the user's back: `undo` refuses and
says exactly what the remote has.
"""

from __future__ import annotations

import contextlib
import glob
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from releasekit.errors import GitError, PushedButIncompleteError, ReleaseError, command
from releasekit.files import display_path, restore
from releasekit.git import Git
from releasekit.journal import ABORT, CONTINUE, Journal
from releasekit.steps import Context, Out, Progress, observe, steps_for


@dataclass(frozen=True)
class RemoteState:
    """The release's branch and tag on the remote (None where absent)."""

    branch: str | None
    tag: str | None


def _remote_state(git: Git, journal: Journal) -> RemoteState:
    refs = git.remote_refs(journal.remote)
    return RemoteState(refs.heads.get(journal.branch), refs.tags.get(journal.tag))


# --- finishing ---------------------------------------------------------------------------


def fresh_progress(journal: Journal) -> Progress:
    """The progress of a release that has not started: nothing made (no git call needed)."""
    return Progress(journal.start_head, None, None, None, None)


def finish(ctx: Context, progress: Progress, summary: str) -> None:
    """Run every step `progress` lacks, then push and verify (see the module docstring)."""
    journal = ctx.journal
    for step in steps_for(journal, summary):
        if not step.needed(progress):
            journal.finish(step.name)
            continue
        ctx.guard.check()
        ctx.step = step.describe(dry_run=False)
        ctx.out(ctx.step)
        journal.start(step.name)
        step.run(ctx, progress)
        progress = _after(progress, step.name, journal)
        journal.finish(step.name)
        ctx.boundary(step.name)
    if journal.push:
        push(ctx, progress)
        ctx.boundary("push")
        verify(ctx, progress)


def _after(progress: Progress, step: str, journal: Journal) -> Progress:
    if step == "commit":
        return replace(progress, head=journal.release_commit, release_commit=journal.release_commit)
    if step == "tag":
        return replace(progress, tag_commit=journal.release_commit, tag_object="made")
    if step == "next-dev":
        return replace(
            progress, head=journal.next_dev_commit, next_dev_commit=journal.next_dev_commit
        )
    return progress


def _expected(ctx: Context) -> RemoteState:
    journal = ctx.journal
    return RemoteState(
        ctx.git.ref(f"refs/heads/{journal.branch}"), ctx.git.ref(f"refs/tags/{journal.tag}")
    )


def push(ctx: Context, progress: Progress) -> None:
    """Push the branch and the tag in one atomic push, unless the remote has both already."""
    journal = ctx.journal
    expected = _expected(ctx)
    if "push" in journal.done or journal.running == "push":
        with contextlib.suppress(GitError):
            if _remote_state(ctx.git, journal) == expected:
                journal.finish("push")
                return
    ctx.guard.check()
    ctx.step = f"pushing {journal.branch} and {journal.tag} to {journal.remote} (atomic)"
    ctx.out(ctx.step)
    journal.start("push")
    refspecs = [
        f"refs/heads/{journal.branch}:refs/heads/{journal.branch}",
        f"refs/tags/{journal.tag}:refs/tags/{journal.tag}",
    ]
    try:
        ctx.git.push_atomic(journal.remote, refspecs)
    except GitError as failure:
        # The push command failed. An atomic push changes all refs or none; make sure.
        try:
            found: RemoteState | None = _remote_state(ctx.git, journal)
        except GitError:
            found = None
        if found != expected:
            if (
                found is not None
                and expected.branch is not None
                # the branch counts as pushed only if it moved (a tag-only release does not)
                and (
                    (found.branch == expected.branch and expected.branch != journal.remote_branch)
                    or found.tag == expected.tag
                )
            ):
                what = f"{failure}; the remote has only part of the release"
                raise incomplete(journal, what) from None
            raise
    journal.finish("push")


def verify(ctx: Context, progress: Progress) -> None:
    """Check that the remote has the branch and the tag at the expected objects."""
    journal = ctx.journal
    expected = _expected(ctx)
    try:
        found = _remote_state(ctx.git, journal)
    except GitError as exc:
        what = f"the push was sent but could not be verified ({exc})"
        raise incomplete(journal, what) from None
    if found != expected:
        raise incomplete(
            journal,
            f"{journal.remote} has {journal.branch} at {found.branch} and {journal.tag} at "
            f"{found.tag}, expected {expected.branch} and {expected.tag}",
        )
    journal.finish("verify")
    short = (expected.branch or "")[:12]
    ctx.out(f"verified: {journal.remote} has {journal.branch} at {short} and {journal.tag}")


def incomplete(journal: Journal, what: str) -> PushedButIncompleteError:
    """The error for a release whose push went out but is not all there."""
    return PushedButIncompleteError(
        f"{what}; the local release commit and tag {journal.tag!r} are kept. Next: check "
        f"'{command('git', 'ls-remote', journal.remote)}', then run '{CONTINUE}' (it pushes "
        f"what is missing and verifies), or push by hand with "
        f"'{command('git', 'push', '--atomic', journal.remote, journal.branch, journal.tag)}'"
    )


# --- undoing -----------------------------------------------------------------------------


@dataclass
class Undone:
    """What an undo did: what it put back, what it kept, and what failed."""

    restored: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people."""
        parts = [f"undone: {', '.join(self.restored) or 'nothing needed undoing'}"]
        if self.kept:
            parts.append("kept: " + "; ".join(self.kept))
        if self.failed:
            parts.append("FAILED: " + "; ".join(self.failed))
        return ". ".join(parts)


def check_remote_before_undo(git: Git, journal: Journal) -> None:
    """Refuse to undo locally a release whose push reached (or may have reached) the remote."""
    if not journal.push or ("push" not in journal.done and journal.running != "push"):
        return
    try:
        found = _remote_state(git, journal)
    except GitError as exc:
        msg = (
            f"the release of {journal.new} stopped during or after its push, and "
            f"{journal.remote!r} cannot be read now ({exc}), so whether it has the release is "
            f"unknown; nothing was undone. Run '{CONTINUE}' or '{ABORT}' again when it answers"
        )
        raise ReleaseError(msg) from None
    progress = observe(git, journal)
    ours = progress.ours | {c for c in (journal.release_commit, journal.next_dev_commit) if c}
    if found.branch in ours or (found.tag is not None and found.tag == progress.tag_object):
        branch = f"{journal.branch} at {found.branch[:12]}" if found.branch else "no branch"
        tag = f"tag {journal.tag}" if found.tag else f"no tag {journal.tag}"
        msg = (
            f"the release of {journal.new} is already on {journal.remote!r} ({branch}, {tag}), "
            f"so '--abort' would not undo it there and nothing was undone. Run '{CONTINUE}' to "
            f"finish and verify it; or take it off the remote first ("
            + command(
                "git",
                "push",
                "--atomic",
                f"--force-with-lease={journal.branch}:{found.branch}",
                journal.remote,
                f"{journal.start_head}:refs/heads/{journal.branch}",
                f":refs/tags/{journal.tag}",
            )
            + f") and run '{ABORT}' again"
        )
        raise ReleaseError(msg)


def clean_temporaries(root: Path, journal: Journal) -> None:
    """Remove the temporary files a killed release left beside its files and its journal."""
    places = {((root / record.path).parent, Path(record.path).name) for record in journal.files}
    places.add((journal.path.parent, journal.path.name))
    for directory, name in places:
        # `files.stage` names them '.NAME.<random>.tmp': nobody else writes such names.
        for leftover in directory.glob(f".{glob.escape(name)}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def undo(git: Git, root: Path, journal: Journal) -> Undone:
    """Put the repository back where the journal started; every part runs (files first)."""
    done = Undone()
    clean_temporaries(root, journal)
    progress = observe(git, journal)
    ours = progress.ours | {c for c in (journal.release_commit, journal.next_dev_commit) if c}
    _undo_files(root, journal, done)
    for part in (_undo_tag, _undo_branch, _undo_index):
        try:
            part(git, journal, progress, ours, done)
        except Exception as exc:
            done.failed.append(f"{part.__name__.removeprefix('_undo_')}: {exc}")
    if not done.failed:
        journal.remove()
    return done


def _undo_files(root: Path, journal: Journal, done: Undone) -> None:
    try:
        result = restore(
            [(root / r.path, r.bytes_before(), r.ours(), r.mode) for r in reversed(journal.files)]
        )
    except Exception as exc:
        done.failed.append(f"files: {exc}")
        return
    if result.restored:
        names = ", ".join(display_path(path, root) for path in result.restored)
        done.restored.append(f"files {names}")
    for path in result.kept:
        done.kept.append(
            f"{display_path(path, root)!r} was changed by someone else after releasekit wrote "
            "it, so it was left as it is (compare it with 'git diff')"
        )
    for path, error in result.failed:
        done.failed.append(f"{display_path(path, root)!r}: {error}")


def _undo_tag(git: Git, journal: Journal, progress: Progress, ours: set[str], done: Undone) -> None:
    if progress.tag_object is None:
        return
    if progress.tag_commit in ours:
        git.delete_tag(journal.tag, old=progress.tag_object)
        done.restored.append(f"tag {journal.tag} deleted")
    else:
        done.kept.append(
            f"tag {journal.tag} points at {progress.tag_commit}, not at a commit of this "
            "release, so it was left as it is"
        )


def _undo_branch(
    git: Git, journal: Journal, progress: Progress, ours: set[str], done: Undone
) -> None:
    head = progress.head
    if head is None or head == journal.start_head:
        return
    if head in ours:
        git.reset_branch(journal.branch, journal.start_head, old=head)
        done.restored.append(f"branch {journal.branch} back at {journal.start_head[:12]}")
    else:
        done.kept.append(
            f"branch {journal.branch} has moved on to {head[:12]} since, so it was left there "
            f"(the release started at {journal.start_head[:12]})"
        )


def _undo_index(
    git: Git, journal: Journal, progress: Progress, ours: set[str], done: Undone
) -> None:
    if git.branch() != journal.branch or git.ref(f"refs/heads/{journal.branch}") != (
        journal.start_head
    ):
        return
    tree = git.index_tree()
    known = {git.run("rev-parse", f"{c}^{{tree}}").strip() for c in {*ours, journal.start_head}}
    if tree == git.run("rev-parse", f"{journal.start_head}^{{tree}}").strip():
        git.try_run("update-index", "-q", "--refresh")
        return
    if tree in known:
        git.reset_index(journal.start_head)
        done.restored.append("index")
    else:
        done.kept.append("the index holds changes staged since the release, left as they are")


# --- a stopped git ------------------------------------------------------------------------


def git_processes(root: Path) -> list[int]:
    """The pids of git processes working in `root` (Linux: /proc; elsewhere none known)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    target = root.resolve()
    found: list[int] = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            cwd = (entry / "cwd").readlink()
        except OSError:
            continue
        if comm.startswith("git") and (cwd == target or target in cwd.parents):
            found.append(int(entry.name))
    return sorted(found)


def _holders(path: Path) -> list[int]:
    proc = Path("/proc")
    found: list[int] = []
    for entry in proc.iterdir() if proc.is_dir() else []:
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if fd.readlink() == path:
                        found.append(int(entry.name))
                        break
    return found


def _git_locks(git: Git, journal: Journal) -> list[Path]:
    # The lock files the release's git commands take: a git killed while holding one
    # leaves it behind, and git refuses to touch that file's ref (or the index) again.
    common = git.common_dir
    return [
        git.git_dir / "index.lock",
        git.git_dir / "HEAD.lock",
        common / "packed-refs.lock",
        common / "refs" / "heads" / f"{journal.branch}.lock",
        common / "refs" / "tags" / f"{journal.tag}.lock",
    ]


def clear_stale_git(git: Git, journal: Journal, out: Out) -> None:
    """Refuse while a git process still works here; remove git locks that nobody holds."""
    running = git_processes(git.root)
    if running:
        pids = ", ".join(str(pid) for pid in running)
        msg = (
            f"a git process (pid {pids}) is still running in this repository, probably left "
            "by the stopped release; wait for it to end (or stop it), then run again"
        )
        raise ReleaseError(msg)
    for lock in _git_locks(git, journal):
        if not lock.exists():
            continue
        name = display_path(lock, git.root)
        if not Path("/proc").is_dir():
            msg = (
                f"{name!r} exists and releasekit cannot tell here whether a git process "
                "holds it; if no git is running, delete it and run again"
            )
            raise ReleaseError(msg)
        holders = _holders(lock.resolve())
        if holders:
            msg = f"{name!r} is held by pid {holders[0]}; wait for it to end, then run again"
            raise ReleaseError(msg)
        lock.unlink()
        out(f"removed a stale {name} left by a stopped git (no process held it)")
