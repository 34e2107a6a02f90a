"""The steps of a release, run from its journal: each does only what is not done yet.

A step describes itself ("would tag ..." / "tagging ...") and runs against the journal
and what the repository shows now (`Progress`), so the same code makes a release, finishes
a stopped one (`release --continue`) and is safe to run twice. The undo of all of them is
in `releasekit.recovery`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from packaging.version import Version

from releasekit import interrupts
from releasekit.errors import GitError, ReleaseError, WriteError
from releasekit.files import FileEdit, apply_edits
from releasekit.git import Git
from releasekit.journal import ABORT, Journal, encode
from releasekit.project import load_project, version_edits

Out = Callable[[str], None]

# The test hook for the fault-injection harness: pause at a named step boundary (after the
# step is recorded) until a signal arrives, having touched a file to say so. Nothing
# changes when the variable is unset; it never skips or fakes a step.
PAUSE_AT = "RELEASEKIT_TEST_PAUSE_AT"
PAUSE_FILE = "RELEASEKIT_TEST_PAUSE_FILE"


@dataclass
class Context:
    """What every step needs: the repository, the journal, the signal guard, the output."""

    git: Git
    root: Path
    journal: Journal
    guard: interrupts.Guard
    out: Out
    step: str = "starting"  # the step running, for messages

    def boundary(self, name: str) -> None:
        """A step boundary: take a pending signal here (and pause here, for the tests)."""
        if os.environ.get(PAUSE_AT) == name:
            marker = os.environ.get(PAUSE_FILE)
            if marker:
                Path(marker).write_text(f"{os.getpid()} {name}\n")
            while not self.guard.stopping:
                time.sleep(0.02)
        self.guard.check()


@dataclass(frozen=True)
class Progress:
    """What the repository shows of a release: its commits and its tag, if they exist."""

    head: str | None
    release_commit: str | None
    next_dev_commit: str | None
    tag_commit: str | None
    tag_object: str | None

    @property
    def ours(self) -> set[str]:
        """The commits the release made."""
        return {c for c in (self.release_commit, self.next_dev_commit) if c is not None}


def _subject(message: str) -> str:
    return message.strip().split("\n", 1)[0]


def observe(git: Git, journal: Journal) -> Progress:
    """Find the release's commits and tag in the repository as it is now."""
    head = git.ref(f"refs/heads/{journal.branch}")
    release: str | None = None
    next_dev: str | None = None
    if head is not None and head != journal.start_head:
        parent, subject = git.parent_and_subject(head)
        if parent == journal.start_head and subject == _subject(journal.commit_message):
            release = head
        elif parent is not None and journal.next_dev_message is not None:
            grandparent, parent_subject = git.parent_and_subject(parent)
            if (
                subject == _subject(journal.next_dev_message)
                and grandparent == journal.start_head
                and parent_subject == _subject(journal.commit_message)
            ):
                release, next_dev = parent, head
    tag_ref = f"refs/tags/{journal.tag}"
    return Progress(
        head=head,
        release_commit=release,
        next_dev_commit=next_dev,
        tag_commit=git.peeled(tag_ref),
        tag_object=git.ref(tag_ref),
    )


class Step(Protocol):
    """One step of a release."""

    name: str

    def describe(self, *, dry_run: bool) -> str:
        """One line: what this step would do (dry run) or is doing."""

    def needed(self, progress: Progress) -> bool:
        """Whether the repository still lacks what this step makes."""

    def run(self, ctx: Context, progress: Progress) -> None:
        """Make what is missing."""


@dataclass
class WriteFiles:
    """Write the new bytes of the version places and the changelog."""

    journal: Journal
    summary: str
    name: str = "write"

    def describe(self, *, dry_run: bool) -> str:
        names = ", ".join(r.path for r in self.journal.files if r.after is not None)
        return f"{'would write' if dry_run else 'writing'} {names} ({self.summary})"

    def needed(self, progress: Progress) -> bool:
        return progress.release_commit is None

    def run(self, ctx: Context, progress: Progress) -> None:
        edits: list[FileEdit] = []
        for record in self.journal.files:
            after = record.bytes_after()
            if after is None:
                continue  # removed by the next step
            path = ctx.root / record.path
            current = path.read_bytes() if path.exists() else None
            if current == after:
                continue
            if current != record.bytes_before():
                msg = (
                    f"{record.path!r} was changed by someone else since the release started; "
                    f"keep or move that change, then run '{ABORT}'"
                )
                raise ReleaseError(msg)
            edits.append(FileEdit(path, record.bytes_before(), after))
        apply_edits(edits, after_each=lambda _: ctx.boundary("write:1"))


@dataclass
class RemoveFragments:
    """Remove the news fragments the project's fragment tool consumed."""

    journal: Journal
    name: str = "fragments"

    def describe(self, *, dry_run: bool) -> str:
        removed = [record.path for record in self.journal.files if record.after is None]
        verb = "would remove" if dry_run else "removing"
        text = f"{verb} {len(removed)} news fragment(s) consumed by {self.journal.fragment_tool}"
        if dry_run:
            text += "".join(f"\n    - {path}" for path in removed)
        return text

    def needed(self, progress: Progress) -> bool:
        return progress.release_commit is None

    def run(self, ctx: Context, progress: Progress) -> None:
        for record in self.journal.files:
            if record.after is not None:
                continue
            path = ctx.root / record.path
            if not path.exists():
                continue
            if path.read_bytes() != record.bytes_before():
                msg = (
                    f"{record.path!r} was changed by someone else since the release started; "
                    f"keep or move that change, then run '{ABORT}'"
                )
                raise ReleaseError(msg)
            try:
                path.unlink()
            except OSError as exc:
                msg = f"cannot remove {record.path!r}: {exc.strerror}"
                raise WriteError(msg) from None


@dataclass
class Commit:
    """Commit exactly the release's files, whatever else is in the work tree."""

    journal: Journal
    name: str = "commit"

    def describe(self, *, dry_run: bool) -> str:
        verb = "would commit" if dry_run else "committing"
        subject = _subject(self.journal.commit_message)
        return f"{verb} {subject!r} on {self.journal.branch} ({len(self.journal.files)} file(s))"

    def needed(self, progress: Progress) -> bool:
        return progress.release_commit is None

    def run(self, ctx: Context, progress: Progress) -> None:
        paths = [ctx.root / record.path for record in self.journal.files]
        created = [str(ctx.root / r.path) for r in self.journal.files if r.before is None]
        if created:  # a file the release creates (a fragment tool's new changelog)
            ctx.git.run("add", "--", *created)
        commit = ctx.git.commit_only(paths, self.journal.message_file("commit"))
        self.journal.release_commit = commit


@dataclass
class Tag:
    """Create the annotated release tag on the release commit; check a signature is there."""

    journal: Journal
    name: str = "tag"

    @property
    def signing(self) -> bool:
        return self.journal.sign or self.journal.sign_by_config

    def describe(self, *, dry_run: bool) -> str:
        if dry_run:
            kind = "signed" if self.signing else "annotated"
            return f"would tag {self.journal.tag} ({kind}) with message:\n" + "\n".join(
                f"    | {line}" for line in self.journal.tag_message.split("\n")
            )
        # "(signed)" is said only once the tag is seen to carry a signature (`run`).
        return f"tagging {self.journal.tag} ({'to be signed' if self.signing else 'annotated'})"

    def needed(self, progress: Progress) -> bool:
        return progress.tag_object is None

    def run(self, ctx: Context, progress: Progress) -> None:
        target = ctx.journal.release_commit or progress.release_commit
        if target is None and not self.journal.files:
            target = self.journal.start_head  # a tag-only release tags where it started
        if target is None:  # pragma: no cover - the commit step runs first
            msg = "the release commit is missing; cannot tag"
            raise GitError(msg)
        tag = self.journal.tag
        ctx.git.create_tag(
            tag, self.journal.message_file("tag"), target=target, sign=self.journal.sign
        )
        if self.signing:
            kind = ctx.git.tag_signature(tag)
            if kind is None:
                msg = (
                    f"git created {tag!r} without a signature although signing was asked for; "
                    "check user.signingkey and gpg.format ('git tag -s' by hand shows why)"
                )
                raise GitError(msg)
            ctx.out(f"tagged {tag} (signed: {kind} signature present on the tag)")


@dataclass
class NextDev:
    """After the release commit, write the next `.dev0` version and commit it."""

    journal: Journal
    name: str = "next-dev"

    def describe(self, *, dry_run: bool) -> str:
        verb = "would write and commit" if dry_run else "writing and committing"
        return (
            f"{verb} the next development version {self.journal.next_dev} "
            f"({self.journal.next_dev_message!r})"
        )

    def needed(self, progress: Progress) -> bool:
        return progress.next_dev_commit is None

    def run(self, ctx: Context, progress: Progress) -> None:
        journal = self.journal
        records = {record.path: record for record in journal.files}
        if not any(record.dev is not None for record in journal.files):
            # Planned now, not earlier: the files hold the release's bytes only from here on.
            # The journal learns the new bytes before any file gets them.
            project = load_project(ctx.root)
            for edit in version_edits(project.places, Version(str(journal.next_dev))):
                key = edit.path.resolve().relative_to(ctx.root.resolve()).as_posix()
                if key in records:
                    records[key].dev = encode(edit.after)
            journal.save()
        edits: list[FileEdit] = []
        for record in journal.files:
            dev = record.bytes_dev()
            if dev is None:
                continue
            path = ctx.root / record.path
            current = path.read_bytes() if path.exists() else None
            if current == dev:
                continue
            if current != record.bytes_after():
                msg = (
                    f"{record.path!r} was changed by someone else since the release commit; "
                    f"keep or move that change, then run '{ABORT}'"
                )
                raise ReleaseError(msg)
            edits.append(FileEdit(path, current, dev))
        apply_edits(edits)
        paths = [ctx.root / record.path for record in journal.files if record.dev is not None]
        message = journal.next_dev_message_file()
        journal.next_dev_commit = ctx.git.commit_only(paths, message)


def steps_for(journal: Journal, summary: str) -> list[Step]:
    """The local steps of the release that `journal` describes, in order."""
    if not journal.files:
        # A version taken from git tags, with no changelog change: the release is the tag.
        return [Tag(journal)]
    made: list[Step] = [WriteFiles(journal, summary)]
    if any(record.after is None for record in journal.files):
        made.append(RemoveFragments(journal))
    made += [Commit(journal), Tag(journal)]
    if journal.next_dev is not None:
        made.append(NextDev(journal))
    return made
