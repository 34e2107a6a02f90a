"""Which version of a fragment tool a project pins (uv.lock, dependency groups, extras, files)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import dependency_groups
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit.changelog.fragments.tools import ToolName

# Requirement files looked at for a pin, relative to the project root (globs, in order).
REQUIREMENT_FILES: Final = (
    "requirements*.txt",
    "requirements/*.txt",
    "requirements/*.in",
    "*/requirements*.txt",
)


def find_requirement(
    root: Path, pyproject: Mapping[str, Any], tool: ToolName
) -> tuple[str, str | None]:
    """What to install for `tool`, and where the project pins it.

    The places looked at, in order: ``uv.lock`` (the version the developers run), then
    ``[dependency-groups]``, ``[project.optional-dependencies]``, and requirement files
    (``requirements*.txt``, ``requirements/*.txt`` and ``*.in``, ``*/requirements*.txt``).
    The first exact pin (``==``) wins; else the first version range; else the newest
    release (unpinned).
    """
    exact: tuple[str, str] | None = None
    ranged: tuple[str, str] | None = None
    for found, where in _candidates(root, pyproject, tool):
        pins = [spec for spec in found.specifier if spec.operator in ("==", "===")]
        if pins and "*" not in pins[0].version and exact is None:
            exact = (f"{tool}=={pins[0].version}", where)
        elif found.specifier and ranged is None:
            ranged = (f"{tool}{found.specifier}", where)
    chosen = exact or ranged
    if chosen is None:
        return tool, None
    return chosen


def _candidates(
    root: Path, pyproject: Mapping[str, Any], tool: ToolName
) -> Iterator[tuple[Requirement, str]]:
    yield from _from_lock(root, tool)
    groups = pyproject.get("dependency-groups", {})
    if isinstance(groups, dict):
        for group in groups:
            try:
                resolved = dependency_groups.resolve(groups, group)
            except (ValueError, TypeError, LookupError):
                continue  # a broken group is the build's business, not the changelog's
            for text in resolved:
                yield from _matching(text, tool, f"[dependency-groups] {group}")
    extras = pyproject.get("project", {}).get("optional-dependencies", {})
    if isinstance(extras, dict):
        for extra, items in extras.items():
            for text in items if isinstance(items, list) else ():
                yield from _matching(str(text), tool, f"[project.optional-dependencies] {extra}")
    for pattern in REQUIREMENT_FILES:
        for path in sorted(root.glob(pattern)):
            where = path.relative_to(root).as_posix()
            for line in _requirement_lines(path):
                yield from _matching(line, tool, where)


def _from_lock(root: Path, tool: ToolName) -> Iterator[tuple[Requirement, str]]:
    path = root / "uv.lock"
    if not path.is_file():
        return
    try:
        with path.open("rb") as stream:
            packages = tomllib.load(stream).get("package", [])
    except (OSError, tomllib.TOMLDecodeError):
        return
    for package in packages if isinstance(packages, list) else ():
        if isinstance(package, dict) and package.get("name") == tool and "version" in package:
            yield Requirement(f"{tool}=={package['version']}"), "uv.lock"
            return


def _matching(text: str, tool: ToolName, where: str) -> Iterator[tuple[Requirement, str]]:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return
    if canonicalize_name(requirement.name) != tool:
        return
    if requirement.marker is not None and not requirement.marker.evaluate():
        return
    yield requirement, where


def _requirement_lines(path: Path) -> Iterator[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            yield line
