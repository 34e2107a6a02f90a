"""Version places: a TOML key, a Python literal, a whole file, a uv.lock entry, a pattern.

Each kind is read here and rewritten here, keeping every other byte of its file.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tomlkit
from packaging.version import Version
from tomlkit.items import String, StringType

from releasekit.config import PYPROJECT
from releasekit.errors import VersionPlaceError
from releasekit.files import FileEdit, decode, display_path, read_bytes

Kind = Literal["toml", "python", "text", "lock", "pattern", "ini"]
UV_LOCK = "uv.lock"
VERSION_MODULES = ("__init__.py", "version.py", "_version.py", "__version__.py", "__about__.py")
_PY_NAMES = ("__version__", "VERSION")


@dataclass(frozen=True)
class VersionPlace:
    """One place that holds the version: a TOML key, a Python literal or a whole file."""

    path: Path
    kind: Kind
    name: str  # the TOML key path, the Python variable, or "file"
    value: str
    line: int
    reason: str = ""  # why releasekit counts this place, for `version --verbose`
    # kind "pattern" (another tool's file entry): the search and replace templates, with
    # {current_version} and {new_version}; `only` limits the edit to lines matching it.
    search: str = "{current_version}"
    replace: str = "{new_version}"
    only: str = ""

    def label(self, root: Path) -> str:
        """Where this place is, for people: ``path:line (name)``."""
        return f"{display_path(self.path, root)}:{self.line} ({self.name})"


def version_edits(places: Sequence[VersionPlace], new: Version) -> list[FileEdit]:
    """Plan the file edits that write `new` (canonical) into every place."""
    by_file: dict[Path, list[VersionPlace]] = {}
    for place in places:
        by_file.setdefault(place.path, []).append(place)
    edits: list[FileEdit] = []
    for path, group in by_file.items():
        before = read_bytes(path)
        text = decode(path, before)
        for place in sorted(group, key=lambda p: p.line, reverse=True):
            text = _rewrite(place, text, str(new))
        edits.append(FileEdit(path=path, before=before, after=text.encode("utf-8")))
    return edits


def _rewrite(place: VersionPlace, text: str, new: str) -> str:
    if place.kind == "toml":
        return _rewrite_toml(place, text, new)
    if place.kind == "python":
        return _rewrite_python(place, text, new)
    if place.kind == "lock":
        return _rewrite_uv_lock(place, text, new)
    if place.kind == "pattern":
        return _rewrite_pattern(place, text, new)
    if place.kind == "ini":
        return _rewrite_ini(place, text, new)
    stripped = text.strip()
    start = text.index(stripped)
    return text[:start] + new + text[start + len(stripped) :]


# --- TOML -------------------------------------------------------------------------------


def parse_toml(path: Path, text: str) -> tomlkit.TOMLDocument:
    """Parse a TOML file's text; malformed TOML is a one-line VersionPlaceError."""
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        msg = f"{str(path)!r} is not valid TOML ({exc}); fix the file and run again"
        raise VersionPlaceError(msg) from None


@functools.lru_cache(maxsize=4)
def _read_only_toml(path: Path, text: str) -> tomlkit.TOMLDocument:
    # One parse for the several places a file holds ([project] version, tbump's and
    # bump-my-version's records); the document is only read, never changed.
    return parse_toml(path, text)


def toml_place(path: Path, key: tuple[str, ...]) -> VersionPlace:
    text = decode(path, read_bytes(path))
    item = _toml_item(_read_only_toml(path, text), key, path)
    return VersionPlace(
        path=path, kind="toml", name=".".join(key), value=str(item), line=_toml_line(text, key)
    )


def _toml_item(doc: Any, key: tuple[str, ...], path: Path) -> String:  # noqa: ANN401
    node = doc
    for part in key:
        node = node[part]
    if not isinstance(node, String):
        msg = f"{str(path)!r}: {'.'.join(key)} must be a string, got {node!r}"
        raise VersionPlaceError(msg)
    return node


def _toml_line(text: str, key: tuple[str, ...]) -> int:
    # Only for messages: the first line in the key's table that assigns the last key part.
    table = "[" + ".".join(key[:-1]) + "]"
    in_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.split("#")[0].strip() == table
        elif in_table and stripped.split("=")[0].strip() == key[-1]:
            return number
    return 0


def _rewrite_toml(place: VersionPlace, text: str, new: str) -> str:
    doc = tomlkit.parse(text)
    key = tuple(place.name.split("."))
    old = _toml_item(doc, key, place.path)
    literal = old.type in (StringType.SLL, StringType.MLL)
    replacement = tomlkit.string(new, literal=literal)
    parent: Any = doc
    for part in key[:-1]:
        parent = parent[part]
    parent[key[-1]] = replacement
    return tomlkit.dumps(doc)


# --- Python -----------------------------------------------------------------------------


def python_places(
    path: Path, *, required: bool, names: Sequence[str] = _PY_NAMES
) -> list[VersionPlace]:
    text = decode(path, read_bytes(path))
    found = [(name, node) for name, node in _module_assignments(path, text) if name in names]
    if not found:
        if required:
            msg = f'{str(path)!r} has no {" or ".join(names)} = "X.Y.Z" string literal'
            raise VersionPlaceError(msg)
        return []
    by_name: dict[str, list[ast.Constant]] = {}
    for name, node in found:
        by_name.setdefault(name, []).append(node)
    places = []
    for name, nodes in by_name.items():
        if len(nodes) > 1:
            lines = ", ".join(str(node.lineno) for node in nodes)
            msg = f"{str(path)!r} assigns {name} {len(nodes)} times (lines {lines}); keep one"
            raise VersionPlaceError(msg)
        node = nodes[0]
        _literal_span(path, text, node)  # fails early on a literal we could not rewrite
        places.append(
            VersionPlace(
                path=path, kind="python", name=name, value=str(node.value), line=node.lineno
            )
        )
    if len(places) > 1:
        # Hatch reads __version__ or VERSION; a file with both is ambiguous.
        msg = f"{str(path)!r} assigns both __version__ and VERSION; keep one"
        raise VersionPlaceError(msg)
    return places


def _module_assignments(path: Path, text: str) -> Iterator[tuple[str, ast.Constant]]:
    try:
        tree = ast.parse(text.removeprefix("\ufeff"), filename=str(path))
    except SyntaxError as exc:
        msg = f"{str(path)!r} is not valid Python (line {exc.lineno}); fix it first"
        raise VersionPlaceError(msg) from None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            yield target.id, value


def _literal_span(path: Path, text: str, node: ast.Constant) -> tuple[int, int]:
    """Return the span of the literal's contents (inside the quotes) in `text`."""
    bom = 1 if text.startswith("\ufeff") else 0
    # ast counts lines as Python does (\n, \r\n, \r), and columns in UTF-8 bytes.
    lines = io.StringIO(text[bom:], newline="").readlines()
    if node.end_lineno != node.lineno or node.end_col_offset is None:
        msg = f"{str(path)!r}:{node.lineno}: the version literal spans lines; write it on one"
        raise VersionPlaceError(msg)
    line = lines[node.lineno - 1]
    raw = line.encode("utf-8")  # ast offsets count UTF-8 bytes
    segment = raw[node.col_offset : node.end_col_offset].decode("utf-8")
    quote = segment[-1:]
    body = segment.lstrip("rRuU")
    simple = (
        quote in ("'", '"')
        and body[:1] == quote
        and body[1:-1] == node.value
        and not body.startswith(quote * 3)
    )
    if not simple:
        msg = f"{str(path)!r}:{node.lineno}: the version must be a plain string literal"
        raise VersionPlaceError(msg)
    start_in_line = len(raw[: node.col_offset].decode("utf-8")) + (len(segment) - len(body)) + 1
    offset = sum(len(previous) for previous in lines[: node.lineno - 1])
    start = bom + offset + start_in_line
    return start, start + len(str(node.value))


def _rewrite_python(place: VersionPlace, text: str, new: str) -> str:
    for name, node in _module_assignments(place.path, text):
        if name == place.name:
            start, end = _literal_span(place.path, text, node)
            return text[:start] + new + text[end:]
    msg = f"{str(place.path)!r} no longer assigns {place.name}"
    raise VersionPlaceError(msg)


# --- uv.lock ------------------------------------------------------------------------------
# uv records a project's own static version in its [[package]] entry (source editable or
# virtual "." or a workspace member's path); after a bump `uv lock --locked` fails until that
# entry follows. Only that one string changes, so releasekit edits it (tomlkit, layout kept)
# instead of re-locking, which would need uv and could move other pins. Dynamic versions are
# not recorded by uv, and then there is nothing to edit.


def uv_lock_places(root: Path, places: Sequence[VersionPlace]) -> list[VersionPlace]:
    path = root / UV_LOCK
    text = decode(path, read_bytes(path))
    packages = _uv_lock_data(path, text).get("package", [])
    ours = {p.path.parent.resolve() for p in places if p.path.name == PYPROJECT}
    found = []
    for package in packages if isinstance(packages, list) else []:
        source = package.get("source", {}) if isinstance(package, dict) else {}
        local = source.get("editable") or source.get("virtual")
        if not isinstance(local, str) or (root / local).resolve() not in ours:
            continue
        if isinstance(package.get("version"), str) and isinstance(package.get("name"), str):
            name = package["name"]
            found.append(
                VersionPlace(
                    path=path,
                    kind="lock",
                    name=f"package[{name}].version",
                    value=package["version"],
                    line=_uv_lock_line(text, name),
                )
            )
    return found


def _uv_lock_line(text: str, name: str) -> int:
    # Only for messages: the `version =` line after the entry's `name = "..."` line.
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if line.replace(" ", "") == f'name="{name}"':
            for offset, following in enumerate(lines[number:], start=number + 1):
                if following.startswith("version"):
                    return offset
                if following.startswith("["):
                    break
    return 0


def _rewrite_uv_lock(place: VersionPlace, text: str, new: str) -> str:
    name = place.name.removeprefix("package[").removesuffix("].version")
    spliced = _splice_uv_lock(text, name, new)
    if spliced is not None and _only_version_changed(place.path, text, spliced, name, new):
        return spliced
    doc = tomlkit.parse(text)  # an unusual layout: the whole file through tomlkit (slow)
    for package in doc.get("package", []):
        if package.get("name") == name and "version" in package:
            package["version"] = new
            return tomlkit.dumps(doc)
    msg = f"{str(place.path)!r} no longer has a [[package]] entry named {name!r}"
    raise VersionPlaceError(msg)


@functools.lru_cache(maxsize=4)
def _uv_lock_data(path: Path, text: str) -> dict[str, Any]:
    # tomllib, not tomlkit, to read: a 250 KB lock file takes 30 ms instead of 200 ms.
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{str(path)!r} is not valid TOML ({exc}); run 'uv lock' to rewrite it"
        raise VersionPlaceError(msg) from None


def _splice_uv_lock(text: str, name: str, new: str) -> str | None:
    """`text` with the version of package `name` set to `new`, editing only its table.

    uv writes one ``[[package]]`` header per entry and the entry's own keys (name, version,
    source) up to the next line that starts with ``[``; that piece alone goes through
    tomlkit, so the rest of the file is neither parsed nor rewritten. None when no piece
    holds the entry (or a piece is not TOML on its own): the caller edits the whole file.
    """
    lines = text.splitlines(keepends=True)
    for start, line in enumerate(lines):
        if line.rstrip("\r\n") != "[[package]]":
            continue
        end = start + 1
        while end < len(lines) and not lines[end].startswith("["):
            end += 1
        piece = "".join(lines[start:end])
        if f'"{name}"' not in piece:
            continue
        try:
            doc = tomlkit.parse(piece)
        except tomlkit.exceptions.ParseError:
            return None
        entry = doc["package"][0]
        if entry.get("name") == name and "version" in entry:
            entry["version"] = new
            return "".join(lines[:start]) + tomlkit.dumps(doc) + "".join(lines[end:])
    return None


def _only_version_changed(path: Path, before: str, after: str, name: str, new: str) -> bool:
    """Whether `after` reads exactly as `before` but for package `name`'s version."""
    try:
        edited = tomllib.loads(after)
    except tomllib.TOMLDecodeError:
        return False
    expected = _uv_lock_data(path, before)
    packages = expected.get("package", [])
    if not isinstance(packages, list):
        return False
    changed = [
        {**package, "version": new}
        if isinstance(package, dict) and package.get("name") == name and "version" in package
        else package
        for package in packages
    ]
    return edited == {**expected, "package": changed}


def text_place(path: Path) -> VersionPlace:
    value = decode(path, read_bytes(path)).strip()
    if not value or "\n" in value:
        msg = f"{str(path)!r} must hold only the version"
        raise VersionPlaceError(msg)
    return VersionPlace(path=path, kind="text", name="file", value=value, line=1)


# --- other tools' records -------------------------------------------------------------------
# bump-my-version, commitizen and tbump edit their files by search and replace; releasekit
# edits them the same way, so the result is what the tool itself would have written.


def _rewrite_pattern(place: VersionPlace, text: str, new: str) -> str:
    search = place.search.replace("{current_version}", place.value)
    replace = place.replace.replace("{new_version}", new).replace("{current_version}", place.value)
    if not place.only:
        return text.replace(search, replace)
    only = re.compile(place.only)  # the tool's own line pattern (commitizen "file:regex")
    lines = io.StringIO(text, newline="").readlines()
    return "".join(line.replace(search, replace) if only.search(line) else line for line in lines)


def _rewrite_ini(place: VersionPlace, text: str, new: str) -> str:
    # One key of one section (bumpversion's current_version); every other byte is kept.
    section, _, key = place.name.partition(".")
    lines = io.StringIO(text, newline="").readlines()
    inside = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped == f"[{section}]"
        elif inside and stripped.partition("=")[0].strip() == key:
            start = line.index(place.value, line.index("="))
            lines[index] = line[:start] + new + line[start + len(place.value) :]
            return "".join(lines)
    msg = f"{str(place.path)!r} no longer has {key} in [{section}]"
    raise VersionPlaceError(msg)
