"""The release lock: one release at a time in one repository.

The lock is ``releasekit.lock`` in the repository's common git directory (shared by all
worktrees), held with an exclusive ``flock`` for as long as the release runs. The file
holds the holder's pid and host, for the message a second release prints.

Stale locks: the kernel drops a ``flock`` when its process ends, however it ends (crash,
``kill -9``, power loss), so a lock is never stale. A leftover file with nobody holding
it is simply taken over. Removing the file by hand is never needed, and is harmless
when no release is running.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from releasekit.errors import LockError

LOCK_NAME = "releasekit.lock"


@contextlib.contextmanager
def release_lock(git_dir: Path) -> Iterator[Path]:
    """Hold the release lock of the repository whose common git dir is `git_dir`."""
    path = git_dir / LOCK_NAME
    fd = _acquire(path)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # closing drops the flock


def _acquire(path: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            msg = (
                f"another release is running in this repository ({holder}, lock {str(path)!r}); "
                "wait for it to finish, then run again"
            )
            raise LockError(msg) from None
        except BaseException:
            os.close(fd)
            raise
        # The holder before us may have removed the file after we opened it: then we
        # hold a lock on a file nobody else will ever see. Start again on the new file.
        try:
            same = os.path.samestat(os.fstat(fd), path.stat())
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        text = []
    if len(text) >= 2:
        return f"pid {text[0]} on {text[1]}"
    return "holder unknown"
