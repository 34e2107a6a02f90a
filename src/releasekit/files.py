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

from releasekit.errors import WriteError


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
    """Write `data` to `path` through a temporary file and a rename, keeping its mode."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        if path.exists():
            shutil.copymode(path, tmp)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


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
