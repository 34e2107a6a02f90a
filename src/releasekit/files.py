"""Planned file edits: each describes itself, applies atomically, and can be undone."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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
    path = through_link(path)
    tmp = stage(path, data)
    try:
        tmp.replace(path)
    except BaseException:
        discard([tmp])
        raise


def current_umask() -> int:
    """The process umask (read by setting it and putting it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def through_link(path: Path) -> Path:
    """The file that writing to `path` must replace: a symlink's target, so the link stays."""
    return path.resolve() if path.is_symlink() else path


def stage(path: Path, data: bytes) -> Path:
    """Write `data` to a new temporary file beside `path` (its mode copied) and return it.

    Nothing is replaced yet: a full disk or a read-only directory fails here, before any
    original changes. A symlink's target is staged beside the target.
    """
    path = through_link(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        else:
            # mkstemp makes the file 0600; a new file gets what the user's umask allows.
            tmp.chmod(0o666 & ~current_umask())
    except BaseException:
        discard([tmp])
        raise
    return tmp


def discard(temps: Iterable[Path]) -> None:
    """Remove staged temporary files that were not used."""
    for tmp in temps:
        with contextlib.suppress(OSError):
            tmp.unlink()


def apply_edits(
    edits: Iterable[FileEdit], *, after_each: Callable[[FileEdit], None] | None = None
) -> list[FileEdit]:
    """Apply `edits`: stage every new content first, then replace the originals in order.

    A failure while staging changes nothing. A failure or an interrupt while replacing puts
    back the files already replaced (those whose bytes are still the ones written here).
    `after_each` runs after each replacement (the journal records it there).
    """
    changing = [edit for edit in edits if edit.changes]
    staged: list[Path] = []
    try:
        for edit in changing:
            staged.append(stage(edit.path, edit.after))
    except OSError as exc:
        discard(staged)
        where = changing[len(staged)].path
        msg = f"cannot write {str(where)!r}: {exc.strerror}; nothing was changed"
        raise WriteError(msg) from None
    except BaseException:
        discard(staged)
        raise
    done: list[FileEdit] = []
    try:
        for edit, tmp in zip(changing, staged, strict=True):
            tmp.replace(through_link(edit.path))
            done.append(edit)
            if after_each is not None:
                after_each(edit)
    except OSError as exc:
        discard(staged[len(done) :])
        undo_edits(done)
        msg = f"cannot write {exc.filename!r}: {exc.strerror}; files already written were restored"
        raise WriteError(msg) from None
    except BaseException:
        discard(staged[len(done) :])
        undo_edits(done)
        raise
    return done


ABSENT = b"absent"  # in a set of digests: "releasekit removed this file"


@dataclass
class Restored:
    """What putting files back did: restored, kept (changed by someone else), failed."""

    restored: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def restore(
    originals: Sequence[tuple[Path, bytes | None, frozenset[bytes], int | None]],
) -> Restored:
    """Put back each file's original bytes, but only where its bytes are still ours.

    `originals` holds (path, original bytes or None for a new file, the SHA-256 digests of
    every content releasekit wrote there, `ABSENT` among them if it removed the file, and
    the original permission bits or None). A file holding anything else was changed by
    someone else since: it is kept, and named in the result. Every new content is staged
    before any file is replaced, and a failure on one file does not stop the others.
    """
    result = Restored()
    staged: list[tuple[Path, Path | None, int | None]] = []
    for path, before, ours, mode in originals:
        try:
            current = path.read_bytes() if path.exists() or path.is_symlink() else None
        except OSError as exc:
            result.failed.append((path, exc.strerror or str(exc)))
            continue
        if current == before:
            continue
        state = ABSENT if current is None else hashlib.sha256(current).digest()
        if state not in ours:
            result.kept.append(path)
            continue
        try:
            if before is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            staged.append((path, stage(path, before) if before is not None else None, mode))
        except OSError as exc:
            result.failed.append((path, exc.strerror or str(exc)))
    for path, tmp, mode in staged:
        try:
            if tmp is None:
                path.unlink()
            else:
                if mode is not None:
                    tmp.chmod(mode)
                tmp.replace(through_link(path))
            result.restored.append(path)
        except OSError as exc:
            if tmp is not None:
                discard([tmp])
            result.failed.append((path, exc.strerror or str(exc)))
    return result


def undo_edits(done: Sequence[FileEdit]) -> Restored:
    """Put back the bytes each applied edit replaced, where the file still holds ours."""
    return restore(
        [
            (edit.path, edit.before, frozenset({hashlib.sha256(edit.after).digest()}), None)
            for edit in reversed(done)
        ]
    )
