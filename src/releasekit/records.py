"""Other release tools' version records: bump-my-version/bumpversion, commitizen, tbump.

A project that configured one of these keeps the current version in the tool's own
configuration and lists more files for it to edit. releasekit reads the same
configuration and plans the same edits, so after a release the tool would find what it
expects. Entries releasekit cannot edit the way the tool would (placeholders other than
``{current_version}``/``{new_version}``, regex searches, JSON or YAML configuration) are
named as left alone, never silently skipped.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from releasekit.config import PYPROJECT
from releasekit.errors import VersionPlaceError
from releasekit.files import decode, read_bytes
from releasekit.places import VersionPlace, parse_toml, toml_place

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_KNOWN = {"{current_version}", "{new_version}"}
_COMMITIZEN_FILES = (PYPROJECT, ".cz.toml", "cz.toml")
_COMMITIZEN_OTHER = (".cz.json", "cz.json", ".cz.yaml", "cz.yaml")
_BUMPVERSION_TOML = (".bumpversion.toml", PYPROJECT)
_BUMPVERSION_INI = (".bumpversion.cfg", "setup.cfg")


@dataclass
class Records:
    """The places other tools keep, and what releasekit leaves alone (one line each)."""

    places: list[VersionPlace] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    changelog: Path | None = None  # releasekit promotes it; no other tool's entry edits it


def find_records(
    root: Path, pyproject: dict[str, Any], current: str | None, *, changelog: str
) -> Records:
    """Every record of bump-my-version, commitizen and tbump that the project configures.

    `current` is the version as the project's own places write it: the value a tool's
    file entries are searched for when the tool does not keep its own copy.
    """
    found = Records(changelog=(root / changelog).resolve())
    _bumpversion(root, pyproject, found)
    _commitizen(root, pyproject, current, found)
    _tbump(root, pyproject, found)
    return found


def _read_toml(path: Path) -> dict[str, Any]:
    return parse_toml(path, decode(path, read_bytes(path))).unwrap()


# --- bump-my-version / bumpversion ---------------------------------------------------------


def _bumpversion(root: Path, pyproject: dict[str, Any], found: Records) -> None:
    for name in _BUMPVERSION_TOML:
        path = root / name
        if not path.is_file():
            continue
        data = pyproject if name == PYPROJECT else _read_toml(path)
        table = data.get("tool", {}).get("bumpversion")
        if isinstance(table, dict):
            _bumpversion_toml(root, path, table, found)
            return
    for name in _BUMPVERSION_INI:
        path = root / name
        if path.is_file():
            parser = configparser.RawConfigParser()
            try:
                parser.read_string(decode(path, read_bytes(path)), source=str(path))
            except configparser.Error as exc:
                msg = f"{str(path)!r} is not a valid INI file ({exc}); fix it first"
                raise VersionPlaceError(msg) from None
            if parser.has_section("bumpversion"):
                _bumpversion_ini(root, path, parser, found)
                return


def _bumpversion_toml(root: Path, path: Path, table: dict[str, Any], found: Records) -> None:
    found.tools.append(f"bump-my-version ({path.name} [tool.bumpversion])")
    current = table.get("current_version")
    if not isinstance(current, str):
        found.left_alone.append(f"{path.name} [tool.bumpversion] has no current_version")
        return
    place = toml_place(path, ("tool", "bumpversion", "current_version"))
    found.places.append(replace(place, reason="bump-my-version current_version"))
    search = str(table.get("search", "{current_version}"))
    replace_with = str(table.get("replace", "{new_version}"))
    for entry in table.get("files", []):
        if not isinstance(entry, dict):
            continue
        _file_entry(
            root,
            found,
            tool="bump-my-version",
            names=_entry_names(root, entry),
            current=current,
            search=str(entry.get("search", search)),
            replace_with=str(entry.get("replace", replace_with)),
            regex=bool(entry.get("regex", False)),
            missing_ok=bool(entry.get("ignore_missing_version", False)),
        )


def _entry_names(root: Path, entry: dict[str, Any]) -> list[str]:
    if "filename" in entry:
        return [str(entry["filename"])]
    if "glob" in entry:
        return sorted(
            str(p.relative_to(root)) for p in root.glob(str(entry["glob"])) if p.is_file()
        )
    return []


def _bumpversion_ini(
    root: Path, path: Path, parser: configparser.RawConfigParser, found: Records
) -> None:
    found.tools.append(f"bumpversion ({path.name} [bumpversion])")
    current = parser.get("bumpversion", "current_version", fallback=None)
    if current is None:
        found.left_alone.append(f"{path.name} [bumpversion] has no current_version")
        return
    text = decode(path, read_bytes(path))
    line = next(
        (
            number
            for number, each in enumerate(text.splitlines(), start=1)
            if each.strip().partition("=")[0].strip() == "current_version"
        ),
        0,
    )
    found.places.append(
        VersionPlace(
            path=path.resolve(),
            kind="ini",
            name="bumpversion.current_version",
            value=current.strip(),
            line=line,
            reason="bumpversion current_version",
        )
    )
    search = parser.get("bumpversion", "search", fallback="{current_version}")
    replace_with = parser.get("bumpversion", "replace", fallback="{new_version}")
    for section in parser.sections():
        if not section.startswith(("bumpversion:file:", "bumpversion:file(")):
            continue
        name = section.split(":", 2)[2] if section.startswith("bumpversion:file:") else ""
        if not name:
            name = section.partition("):")[2]
        _file_entry(
            root,
            found,
            tool="bumpversion",
            names=[name],
            current=current.strip(),
            search=parser.get(section, "search", fallback=search),
            replace_with=parser.get(section, "replace", fallback=replace_with),
            regex=parser.get(section, "regex", fallback="false").lower() == "true",
            missing_ok=False,
        )


# --- commitizen -------------------------------------------------------------------------------


def _commitizen(root: Path, pyproject: dict[str, Any], current: str | None, found: Records) -> None:
    for name in _COMMITIZEN_OTHER:
        if (root / name).is_file():
            found.tools.append(f"commitizen ({name})")
            found.left_alone.append(
                f"{name}: commitizen settings in JSON or YAML are not read; move them to "
                "[tool.commitizen] in pyproject.toml so releasekit keeps them current"
            )
            return
    for name in _COMMITIZEN_FILES:
        path = root / name
        if not path.is_file():
            continue
        data = pyproject if name == PYPROJECT else _read_toml(path)
        table = data.get("tool", {}).get("commitizen")
        if isinstance(table, dict):
            _commitizen_table(root, path, table, current, found)
            return


def _commitizen_table(
    root: Path, path: Path, table: dict[str, Any], current: str | None, found: Records
) -> None:
    provider = table.get("version_provider", "commitizen")
    found.tools.append(f"commitizen ({path.name} [tool.commitizen], provider {provider})")
    own = table.get("version")
    if provider == "commitizen" and isinstance(own, str):
        place = toml_place(path, ("tool", "commitizen", "version"))
        found.places.append(replace(place, reason="commitizen version"))
        current = own
    for entry in table.get("version_files", []):
        file_name, _, only = str(entry).partition(":")
        if current is None:
            found.left_alone.append(f"commitizen version_files {entry!r}: no current version")
            continue
        _file_entry(
            root,
            found,
            tool="commitizen",
            names=[file_name],
            current=current,
            search="{current_version}",
            replace_with="{new_version}",
            regex=False,
            missing_ok=False,
            only=only,
            label=f"commitizen version_files {entry!r}",
        )


# --- tbump ------------------------------------------------------------------------------------


def _tbump(root: Path, pyproject: dict[str, Any], found: Records) -> None:
    path = root / "tbump.toml"
    prefix: tuple[str, ...] = ("version", "current")
    if path.is_file():
        data = _read_toml(path)
    elif isinstance(pyproject.get("tool", {}).get("tbump"), dict):
        path, data = root / PYPROJECT, pyproject["tool"]["tbump"]
        prefix = ("tool", "tbump", "version", "current")
    else:
        return
    found.tools.append(f"tbump ({path.name})")
    current = data.get("version", {}).get("current")
    if not isinstance(current, str):
        found.left_alone.append(f"{path.name}: tbump has no [version] current")
        return
    found.places.append(replace(toml_place(path, prefix), reason="tbump version.current"))
    for entry in data.get("file", []):
        if not isinstance(entry, dict) or "src" not in entry:
            continue
        search = str(entry.get("search", "{current_version}"))
        names = sorted(str(p.relative_to(root)) for p in root.glob(str(entry["src"])))
        _file_entry(
            root,
            found,
            tool="tbump",
            names=names or [str(entry["src"])],
            current=current,
            search=search,
            replace_with=search.replace("{current_version}", "{new_version}"),
            regex=False,
            missing_ok=False,
        )


# --- file entries -----------------------------------------------------------------------------


def _file_entry(
    root: Path,
    found: Records,
    *,
    tool: str,
    names: list[str],
    current: str,
    search: str,
    replace_with: str,
    regex: bool,
    missing_ok: bool,
    only: str = "",
    label: str = "",
) -> None:
    for name in names:
        what = label or f"{tool} file {name!r}"
        others = set(_PLACEHOLDER.findall(search + replace_with)) - _KNOWN
        if regex or others:
            why = "a regex search" if regex else f"placeholders {', '.join(sorted(others))}"
            found.left_alone.append(f"{what}: {why}; {tool} edits it, releasekit does not")
            continue
        if "{current_version}" not in search:
            found.left_alone.append(f"{what}: its search {search!r} is not the version")
            continue
        path = (root / name).resolve()
        if path == found.changelog:
            found.left_alone.append(f"{what}: releasekit promotes the changelog itself")
            continue
        if not path.is_relative_to(root.resolve()) or not path.is_file():
            msg = f"{what}: {name!r} is not a file inside the project; fix the {tool} settings"
            raise VersionPlaceError(msg)
        if only:
            try:
                re.compile(only)
            except re.error as exc:
                msg = f"{what}: {only!r} is not a valid regular expression ({exc})"
                raise VersionPlaceError(msg) from None
        text = decode(path, read_bytes(path))
        needle = search.replace("{current_version}", current)
        line = _first_line(text, needle, only)
        if line == 0:
            if missing_ok:
                found.left_alone.append(f"{what}: {needle!r} not found (ignore_missing_version)")
                continue
            msg = (
                f"{what}: {needle!r} is not in {name!r}, so {tool}'s records are stale; "
                f"write {current} there (or fix the entry), then run again"
            )
            raise VersionPlaceError(msg)
        found.places.append(
            VersionPlace(
                path=path,
                kind="pattern",
                name=f"{tool}: {search}" + (f" on lines matching {only!r}" if only else ""),
                value=current,
                line=line,
                reason=what,
                search=search,
                replace=replace_with,
                only=only,
            )
        )


def _first_line(text: str, needle: str, only: str) -> int:
    pattern = re.compile(only) if only else None
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line and (pattern is None or pattern.search(line)):
            return number
    if "\n" in needle and needle in text:  # a multi-line search (bump-my-version allows it)
        return text[: text.index(needle)].count("\n") + 1
    return 0
