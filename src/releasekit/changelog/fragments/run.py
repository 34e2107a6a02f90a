"""Run a project's fragment tool (towncrier, scriv) and learn exactly what it would change.

The tool never touches the work tree during planning. It runs in a private copy of the
project (the files git tracks, plus untracked files that are not ignored), made in the
system's temporary directory; the copy is compared with the original afterwards. The
result is an ordinary plan: the bytes of every file the tool wrote, and the list of
fragments it consumed. The release applies that plan as one step, and its undo puts every
byte back. So ``release --dry-run`` shows the exact result, a tool that fails is a failed
check with nothing changed, and the tool's own git calls (towncrier stages files with
``git add`` and ``git rm``) never reach the repository.

``towncrier build --draft`` (and ``scriv print``), which write nothing, are run in the
project itself to show what would be rendered (`draft`).
"""

from __future__ import annotations

import datetime
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from releasekit.changelog.fragments.env import ToolEnv, clean_environ
from releasekit.changelog.fragments.tools import FragmentTool
from releasekit.errors import ChangelogError
from releasekit.files import FileEdit, read_bytes
from releasekit.git import Git, redact

_TIMEOUT = 300  # seconds
_SCRIV_NOTHING = 2  # `scriv collect` exits 2 when there is no fragment
_ADORNMENT = frozenset("=-~^\"'`*+#<>._:")


@dataclass(frozen=True)
class FragmentBuild:
    """What the tool did in the copy: files written, fragments consumed, the new section."""

    tool: FragmentTool
    tool_version: str
    edits: tuple[FileEdit, ...]  # paths in the real project
    consumed: tuple[Path, ...]  # paths in the real project
    inserted: str  # the text the tool added to its file, title included
    notes: str  # the same without its title: the release notes
    output: str = field(default="", repr=False)


def build(
    tool: FragmentTool,
    env: ToolEnv,
    git: Git,
    root: Path,
    *,
    version: str,
    date: datetime.date,
) -> FragmentBuild:
    """Run the tool's release command in a copy of `root`; change nothing in `root`."""
    root = root.resolve()
    with tempfile.TemporaryDirectory(prefix="releasekit-fragments-") as tmp:
        sandbox = Path(tmp).resolve() / (root.name or "project")
        _outside_repositories(sandbox)
        copied = _copy_project(git, root, sandbox)
        result = _run(_release_command(tool, version, date), env, sandbox, tool)
        if tool.name == "scriv" and result.returncode == _SCRIV_NOTHING:
            return FragmentBuild(tool, env.version, (), (), "", "", _text(result))
        if result.returncode != 0:
            raise _failed(tool, result)
        edits, consumed = _compare(root, sandbox, copied)
    inserted = _inserted(tool, root, edits)
    return FragmentBuild(
        tool=tool,
        tool_version=env.version,
        edits=tuple(edits),
        consumed=tuple(consumed),
        inserted=inserted,
        notes=strip_title(inserted),
        output=_text(result),
    )


def draft(
    tool: FragmentTool, env: ToolEnv, root: Path, *, version: str, date: datetime.date
) -> str:
    """What the tool would render for `version` now, without its title; writes nothing."""
    if tool.name == "towncrier":
        command = ["build", "--draft", "--version", version, "--date", date.isoformat()]
    else:
        command = ["print"]
    result = _run(command, env, root, tool)
    if result.returncode != 0:
        raise _failed(tool, result)
    return strip_title(result.stdout)


def _release_command(tool: FragmentTool, version: str, date: datetime.date) -> list[str]:
    if tool.name == "towncrier":
        return ["build", "--version", version, "--date", date.isoformat(), "--yes"]
    # scriv dates the entry itself (today, in the time zone it runs in: UTC here).
    return ["collect", "--version", version, "--no-add", "--no-edit"]


def _run(
    args: Sequence[str], env: ToolEnv, cwd: Path, tool: FragmentTool
) -> subprocess.CompletedProcess[str]:
    command = [str(env.python), "-m", tool.name, *args]
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
            env=clean_environ(TZ="UTC", PYTHONUTF8="1"),
            stdin=subprocess.DEVNULL,
            timeout=_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        msg = f"running {tool.name} failed: {exc}"
        raise ChangelogError(redact(msg)) from None


def _text(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout or "") + (result.stderr or "")


def _failed(tool: FragmentTool, result: subprocess.CompletedProcess[str]) -> ChangelogError:
    lines = [line.strip() for line in _text(result).splitlines() if line.strip()]
    tail = "; ".join(lines[-3:]) or f"exit status {result.returncode}"
    return ChangelogError(redact(f"{tool.name} failed (exit {result.returncode}): {tail}"))


# --- the private copy ---------------------------------------------------------------------


def _outside_repositories(sandbox: Path) -> None:
    # towncrier picks git or hg by looking for .git/.hg in the directory and its parents:
    # inside a repository it would stage and remove files there.
    for parent in sandbox.parents:
        if (parent / ".git").exists() or (parent / ".hg").exists():
            msg = (
                f"the temporary directory {str(sandbox.parent)!r} lies inside a repository "
                f"({str(parent)!r}); set TMPDIR to a directory outside any repository"
            )
            raise ChangelogError(msg)


def _copy_project(git: Git, root: Path, sandbox: Path) -> dict[str, tuple[int, int]]:
    """Copy the project's files; return each copy's (size, mtime) to find changes later."""
    # git runs at the top of the work tree; a project may be a directory inside it.
    prefix = root.relative_to(git.root.resolve()).as_posix()
    listed = git.run(
        "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", prefix or "."
    )
    copied: dict[str, tuple[int, int]] = {}
    for name in dict.fromkeys(entry for entry in listed.split("\0") if entry):
        rel = name[len(prefix) + 1 :] if prefix and prefix != "." else name
        source = root / rel
        if source.is_symlink():
            # Never copy a link: the tool could write through it, out of the copy.
            target = source.resolve()
            if not target.is_relative_to(root) or not target.is_file():
                continue
        elif not source.is_file():
            continue  # deleted in the work tree, or a submodule
        destination = sandbox / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        shutil.copymode(source, destination)
        # An old time stamp: whatever the tool writes gets a newer one, however fast it is.
        os.utime(destination, ns=(0, 0))
        info = destination.stat()
        copied[rel] = (info.st_size, info.st_mtime_ns)
    return copied


def _compare(
    root: Path, sandbox: Path, copied: dict[str, tuple[int, int]]
) -> tuple[list[FileEdit], list[Path]]:
    edits: list[FileEdit] = []
    consumed: list[Path] = []
    for rel, (size, mtime) in copied.items():
        path = sandbox / rel
        try:
            info = path.stat()
        except FileNotFoundError:
            consumed.append(root / rel)
            continue
        if (info.st_size, info.st_mtime_ns) != (size, mtime):
            before = read_bytes(root / rel)
            after = path.read_bytes()
            if after != before:
                edits.append(FileEdit(path=root / rel, before=before, after=after))
    for rel in _new_files(sandbox, copied):
        edits.append(FileEdit(path=root / rel, before=None, after=(sandbox / rel).read_bytes()))
    return edits, consumed


def _new_files(sandbox: Path, copied: dict[str, tuple[int, int]]) -> Iterator[str]:
    for top, dirs, names in os.walk(sandbox):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        for name in names:
            path = Path(top) / name
            rel = path.relative_to(sandbox).as_posix()
            if rel not in copied and stat.S_ISREG(path.lstat().st_mode):
                yield rel


# --- the section the tool wrote -----------------------------------------------------------


def _inserted(tool: FragmentTool, root: Path, edits: Sequence[FileEdit]) -> str:
    """The lines the tool added to its news file (or the whole new file it wrote)."""
    wanted = (root / tool.news_file).resolve() if tool.news_file else None
    for edit in edits:
        if wanted is not None and edit.path.resolve() != wanted:
            continue
        after = edit.after.decode("utf-8", errors="replace").splitlines(keepends=True)
        if edit.before is None:
            return "".join(after)
        before = edit.before.decode("utf-8", errors="replace").splitlines(keepends=True)
        start = 0
        while start < min(len(before), len(after)) and before[start] == after[start]:
            start += 1
        end = 0
        limit = min(len(before), len(after)) - start
        while end < limit and before[-1 - end] == after[-1 - end]:
            end += 1
        return "".join(after[start : len(after) - end])
    return ""


def strip_title(text: str) -> str:
    """`text` without its leading title (Markdown heading or RST title) and RST targets."""
    lines = text.strip("\n").splitlines()
    while lines and (not lines[0].strip() or _is_anchor(lines[0])):
        lines.pop(0)
    if lines and _is_adornment(lines[0]) and len(lines) > 2 and _is_adornment(lines[2]):
        lines = lines[3:]  # over- and underlined RST title
    elif len(lines) > 1 and lines[0].strip() and _is_adornment(lines[1]):
        lines = lines[2:]  # underlined RST title
    elif lines and lines[0].startswith("#"):
        lines = lines[1:]  # Markdown heading
    return "\n".join(lines).strip("\n")


def _is_anchor(line: str) -> bool:
    """An RST target (``.. _changelog-1.0:``) or an HTML anchor line, as scriv writes."""
    stripped = line.strip()
    return stripped.startswith(".. _") or (stripped.startswith("<a ") and stripped.endswith("</a>"))


def _is_adornment(line: str) -> bool:
    stripped = line.rstrip()
    return len(stripped) >= 3 and len(set(stripped)) == 1 and stripped[0] in _ADORNMENT
