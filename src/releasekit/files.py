"""Planned file edits: each describes itself, applies atomically, and can be undone."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import ConfigError, WriteError


@dataclass(frozen=True)
class FileEdit:
    """Replace the bytes of one file; `before` is None when the file is new."""

    path: Path
    before: bytes | None
    after: bytes

    @property
    def changes(self) -> bool:
        """Whether applying this edit would change the file."""
        return self.before != self.after


def work_tree(root: Path) -> Path:
    """The repository work tree that holds `root`: the nearest directory with a `.git`.

    Without a repository, the project root itself is the boundary.
    """
    here = root.resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def confine(root: Path, name: str, what: str) -> Path:
    """The file a configured path names, resolved through symlinks, if releasekit may edit it.

    `name` is relative to the project `root`. It must resolve inside the repository's work
    tree and outside `.git`; a symlink is followed, so a link inside the repository that
    points inside it is edited through (the link stays a link), and one that points out
    of it is refused. Nothing outside the repository is read or written because a
    configuration value says so.
    """
    if not name or name.startswith("~") or Path(name).is_absolute():
        msg = f"{what} {name!r} must be a path relative to the project root, inside the repository"
        raise ConfigError(msg)
    tree = work_tree(root)
    resolved = (root / name).resolve()
    if not resolved.is_relative_to(tree):
        msg = (
            f"{what} {name!r} resolves to {str(resolved)!r}, outside the repository "
            f"{str(tree)!r}; releasekit edits only files inside it"
        )
        raise ConfigError(msg)
    if ".git" in resolved.relative_to(tree).parts:
        msg = f"{what} {name!r} resolves into git's own directory (.git); name a project file"
        raise ConfigError(msg)
    return resolved


def read_bytes(path: Path) -> bytes:
    """Return the bytes of `path`, or raise WriteError naming the file."""
    try:
        return path.read_bytes()
    except OSError as exc:
        msg = f"cannot read {str(path)!r}: {exc.strerror}"
        raise WriteError(msg) from None


def display_path(path: Path, root: Path) -> str:
    """`path` for people: relative to `root` in POSIX form, else as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def sha256_of(path: Path) -> str:
    """The hex SHA-256 digest of the file at `path`, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode(path: Path, data: bytes) -> str:
    """Decode a project file as UTF-8 (keeping a BOM and line endings as they are)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"{str(path)!r} is not UTF-8 text (byte {exc.start}); releasekit edits UTF-8 files"
        raise WriteError(msg) from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename, keeping its mode.

    A symlink is written through: its target gets the bytes, the link stays a link.
    """
    if path.is_symlink():
        path = path.resolve()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        if path.exists():
            shutil.copymode(path, tmp)
        else:
            # mkstemp makes the file 0600; a new file gets what the user's umask allows.
            Path(tmp).chmod(0o666 & ~current_umask())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def current_umask() -> int:
    """The process umask (read by setting it and putting it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_edits(edits: Iterable[FileEdit]) -> list[FileEdit]:
    """Apply `edits` in order; if one fails (or is interrupted), undo those already applied."""
    done: list[FileEdit] = []
    try:
        for edit in edits:
            if edit.changes:
                write_atomic(edit.path, edit.after)
                done.append(edit)
    except OSError as exc:
        undo_edits(done)
        msg = f"cannot write {exc.filename!r}: {exc.strerror}; files already written were restored"
        raise WriteError(msg) from None
    except BaseException:
        undo_edits(done)
        raise
    return done


def undo_edits(done: Sequence[FileEdit]) -> None:
    """Put back the bytes each applied edit replaced, newest first."""
    for edit in reversed(done):
        if edit.before is None:
            with contextlib.suppress(FileNotFoundError):
                edit.path.unlink()
        else:
            write_atomic(edit.path, edit.before)
