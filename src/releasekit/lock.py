"""The release lock: one writing releasekit command at a time in one repository.

The lock is ``releasekit.lock`` in the repository's common git directory (shared by all
worktrees), held through the `filelock` library (``flock`` on POSIX, ``LockFileEx`` on
Windows) for as long as a writing command runs: ``release``, ``bump``, ``changelog
add``/``promote`` and ``init``. The file holds the holder's pid and host, for the message a
second command prints.

Stale locks: the operating system drops the lock when its process ends, however it ends
(crash, ``kill -9``, power loss), so a lock is never stale; a leftover file that nobody
holds is simply taken again. The lock file is never followed through a symlink
(`filelock` opens it with ``O_NOFOLLOW``): a symlinked ``releasekit.lock`` is refused, and
its target is never opened, let alone truncated.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from releasekit.errors import LockError

LOCK_NAME = "releasekit.lock"


@contextlib.contextmanager
def release_lock(git_dir: Path) -> Iterator[Path]:
    """Hold the release lock of the repository whose common git dir is `git_dir`."""
    path = git_dir / LOCK_NAME
    if path.is_symlink():  # filelock refuses it too (ELOOP); this names the remedy first
        raise _symlink_error(path)
    lock = FileLock(path, timeout=0, on_acquired=_write_holder, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        msg = (
            f"another releasekit command is writing in this repository ({_holder(path)}, "
            f"lock {str(path)!r}); wait for it to finish, then run again"
        )
        raise LockError(msg) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _symlink_error(path) from None
        msg = f"cannot take the release lock {str(path)!r}: {exc.strerror}"
        raise LockError(msg) from None
    try:
        yield path
    finally:
        lock.release()


def _symlink_error(path: Path) -> LockError:
    return LockError(
        f"the release lock {str(path)!r} is a symbolic link, which releasekit never follows; "
        "remove the link and run again"
    )


def _write_holder(fd: int) -> None:
    # Written through the locked descriptor, so it is the holder's own file.
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)  # (no os.pwrite on Windows)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())


def _holder(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return "holder unknown"
    try:
        text = os.read(fd, 200).decode("utf-8", "replace").split()
    except OSError:
        text = []
    finally:
        os.close(fd)
    if len(text) >= 2:
        return f"pid {text[0]} on {text[1]}"
    return "holder unknown"
