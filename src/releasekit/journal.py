"""The release journal: what a running release is doing, kept where a crash cannot lose it.

Before a release changes anything it writes ``releasekit-release.json`` into the
repository's common git directory, the way `git rebase` keeps its state directory: the
plan (version, tag, branch, remote, messages), every file it will write with its original
bytes and the digest of every content it writes there, the starting HEAD, branch and index
tree, and the remote's refs. Each step is recorded when it starts and when it is done.
The journal is written atomically (temporary file, fsync, rename) and removed only when
the release is complete or undone.

Any later releasekit command that could change the repository finds it and refuses;
`status` names the state in one line; `release --continue` and `release --abort` finish or
undo it (see `releasekit.release`).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from releasekit.errors import JournalError, ReleaseInProgressError
from releasekit.files import ABSENT, write_atomic

JOURNAL_NAME = "releasekit-release.json"
MESSAGE_NAMES = {"commit": "releasekit-COMMIT_MSG", "tag": "releasekit-TAG_MSG"}
FORMAT = 1

# The steps of a release, in order, and how `status` words the state after each.
STEPS = ("write", "fragments", "commit", "tag", "next-dev", "push", "verify")
_AFTER = {
    "write": "after writing the files",
    "fragments": "after removing the news fragments",
    "commit": "after the commit",
    "tag": "after the tag",
    "next-dev": "after the next development commit",
    "push": "after the push",
    "verify": "after the push was verified",
}
_DURING = {
    "write": "while writing the files",
    "fragments": "while removing the news fragments",
    "commit": "during the commit",
    "tag": "during the tag",
    "next-dev": "during the next development commit",
    "push": "during the push",
    "verify": "while verifying the push",
}
CONTINUE = "releasekit release --continue"
ABORT = "releasekit release --abort"


def digest(data: bytes) -> str:
    """The hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileRecord:
    """One file a release writes: its path, original bytes, new bytes, and what was written."""

    path: str  # relative to the work tree, POSIX
    before: str | None  # base64 of the original bytes; None when the file did not exist
    after: str | None  # base64 of the release's bytes; None when the release removes it
    dev: str | None = None  # base64 of the next development version's bytes, once planned
    mode: int | None = None  # the original permission bits

    def bytes_before(self) -> bytes | None:
        """The original bytes."""
        return None if self.before is None else base64.b64decode(self.before)

    def bytes_after(self) -> bytes | None:
        """The bytes the release commit holds (None: the release removes the file)."""
        return None if self.after is None else base64.b64decode(self.after)

    def bytes_dev(self) -> bytes | None:
        """The bytes the next development commit holds, once planned."""
        return None if self.dev is None else base64.b64decode(self.dev)

    def ours(self) -> frozenset[bytes]:
        """The SHA-256 digests of every content releasekit writes to this file (ABSENT: removed)."""
        contents = [self.bytes_after(), self.bytes_dev()]
        made = {hashlib.sha256(data).digest() for data in contents if data is not None}
        return frozenset({*made, ABSENT} if self.after is None else made)


def encode(data: bytes | None) -> str | None:
    """Bytes as the journal keeps them (base64)."""
    return None if data is None else base64.b64encode(data).decode("ascii")


@dataclass
class Journal:
    """A release in progress (see the module docstring); `save` after every change."""

    project: str
    current: str
    new: str
    tag: str
    branch: str
    remote: str
    push: bool
    sign: bool
    sign_by_config: bool
    next_dev: str | None
    commit_message: str
    tag_message: str
    next_dev_message: str | None
    start_head: str
    start_branch: str
    start_index_tree: str | None
    remote_branch: str | None  # the remote's branch head when the release started
    remote_tag: str | None
    files: list[FileRecord] = field(default_factory=list)
    fragment_tool: str | None = None  # the tool whose news fragments the release removes
    done: list[str] = field(default_factory=list)
    running: str | None = None
    release_commit: str | None = None
    next_dev_commit: str | None = None
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    started: str = field(
        default_factory=lambda: datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds")
    )
    format: int = FORMAT
    git_dir: Path | None = field(default=None, compare=False)

    # --- persistence -----------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """Where this journal lives."""
        if self.git_dir is None:
            msg = "the journal has no git directory"
            raise JournalError(msg)
        return self.git_dir / JOURNAL_NAME

    def save(self) -> None:
        """Write the journal atomically and durably."""
        data = asdict(self)
        data.pop("git_dir")
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        write_atomic(self.path, text.encode("utf-8"))
        _fsync_dir(self.path.parent)

    def start(self, step: str) -> None:
        """Record that `step` is starting."""
        self.running = step
        self.save()

    def finish(self, step: str) -> None:
        """Record that `step` is done."""
        if step not in self.done:
            self.done.append(step)
        self.running = None
        self.save()

    def remove(self) -> None:
        """Forget the release: it is complete or undone."""
        for name in (JOURNAL_NAME, *MESSAGE_NAMES.values()):
            with contextlib.suppress(FileNotFoundError):
                (self.path.parent / name).unlink()
        _fsync_dir(self.path.parent)

    def message_file(self, kind: str) -> Path:
        """The file git reads the commit or tag message from (written here, in the git dir)."""
        text = {"commit": self.commit_message, "tag": self.tag_message}[kind]
        path = self.path.parent / MESSAGE_NAMES[kind]
        write_atomic(path, (text if text.endswith("\n") else text + "\n").encode("utf-8"))
        return path

    def next_dev_message_file(self) -> Path:
        """The file git reads the next development commit's message from."""
        path = self.path.parent / MESSAGE_NAMES["commit"]
        write_atomic(path, f"{self.next_dev_message}\n".encode())
        return path

    # --- for people ------------------------------------------------------------------------

    def stopped_at(self) -> str:
        """Where the release stopped: 'after the commit', 'during the push', ..."""
        if self.running is not None and self.running not in self.done:
            return _DURING.get(self.running, f"during {self.running}")
        if self.done:
            return _AFTER.get(self.done[-1], f"after {self.done[-1]}")
        return "before any change"

    def state_line(self) -> str:
        """One line: which release stopped where, and the two ways out."""
        return (
            f"a release of {self.new} stopped {self.stopped_at()} (started {self.started} by "
            f"pid {self.pid} on {self.host}); run '{CONTINUE}' to finish it or '{ABORT}' to "
            "undo it"
        )


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory is; not possible on every platform.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def load(git_dir: Path) -> Journal | None:
    """The journal in `git_dir`, or None when no release is in progress."""
    path = git_dir / JOURNAL_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        msg = f"cannot read the release journal {str(path)!r}: {exc.strerror}"
        raise JournalError(msg) from None
    try:
        data: dict[str, Any] = json.loads(text)
        if data.get("format") != FORMAT:
            msg = f"format {data.get('format')!r}"
            raise ValueError(msg)  # noqa: TRY301 - one message for every kind of bad journal
        data["files"] = [FileRecord(**record) for record in data.get("files", [])]
        journal = Journal(**data)
    except (ValueError, TypeError) as exc:
        msg = (
            f"the release journal {str(path)!r} is unreadable ({exc}); look at 'git status' "
            "and 'git log', put things right by hand, then delete that file"
        )
        raise JournalError(msg) from None
    journal.git_dir = git_dir
    return journal


def refuse_if_pending(git_dir: Path) -> None:
    """Raise ReleaseInProgressError if a stopped release waits for --continue or --abort."""
    journal = load(git_dir)
    if journal is not None:
        msg = f"{journal.state_line()}; nothing else may change this repository until then"
        raise ReleaseInProgressError(msg)


@contextlib.contextmanager
def writing(root: Path) -> Iterator[None]:
    """Hold the release lock for a writing command, refusing while a release is stopped.

    A project outside any git repository has no release to protect, and no lock.
    """
    from releasekit.errors import GitError  # noqa: PLC0415
    from releasekit.git import Git  # noqa: PLC0415 - gitpython only when needed
    from releasekit.lock import release_lock  # noqa: PLC0415

    try:
        git_dir = Git(root).common_dir
    except GitError:
        yield
        return
    with release_lock(git_dir):
        refuse_if_pending(git_dir)
        yield
