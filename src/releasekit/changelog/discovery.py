"""Finding a project's changelog: configured, written by its fragment tool, or by its name.

The order, first match wins:

1. ``[tool.releasekit] changelog``, when it is set;
2. the file the project's fragment tool writes (towncrier's ``filename``, scriv's
   ``changelog``), wherever it is (``doc/en/changelog.rst`` in pytest);
3. a file named ``CHANGELOG``, ``CHANGES``, ``HISTORY``, ``NEWS`` or ``RELEASE-NOTES`` (in
   that order; any case, ``-`` or ``_``), with the suffix ``.md``, ``.rst`` or none (in that
   order), at the project root, then under ``docs/``.

`discover` lists every candidate that exists, so ``init`` can show them all; `discovered_name`
is the one every command uses
(`releasekit.config.load_config` asks it when the key is not set).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from releasekit.changelog.fragments.tools import FragmentTool, detect, inside_path
from releasekit.errors import ChangelogError

Format = Literal["markdown", "rst", "text"]
NAMES: Final = ("changelog", "changes", "history", "news", "release-notes")
SUFFIXES: Final = (".md", ".rst", "")
DIRECTORIES: Final = ("", "docs")
DEFAULT: Final = "CHANGELOG.md"


@dataclass(frozen=True)
class FoundChangelog:
    """One changelog file: where it is, what it is written in, and why it was picked."""

    path: str  # relative to the project root, POSIX
    format: Format
    source: str  # "configured", "written by towncrier", "found by name"
    exists: bool

    def describe(self) -> str:
        """For people: the file and why it is the one."""
        state = "" if self.exists else ", does not exist yet"
        return f"{self.path} ({self.source}{state})"


def file_format(name: str) -> Format:
    """The format a changelog's suffix says."""
    suffix = Path(name).suffix.lower()
    if suffix in (".md", ".markdown"):
        return "markdown"
    return "rst" if suffix == ".rst" else "text"


def discover(
    root: Path, pyproject: Mapping[str, Any], tool: FragmentTool | None
) -> list[FoundChangelog]:
    """Every changelog of the project at `root`, the one to use first; reads nothing else."""
    found: list[FoundChangelog] = []
    configured = pyproject.get("tool", {}).get("releasekit", {}).get("changelog")
    if isinstance(configured, str):
        found.append(_entry(root, configured, "configured in [tool.releasekit]"))
    if tool is not None and tool.news_file:
        found.append(_entry(root, tool.news_file, f"written by {tool.name}"))
    for directory in DIRECTORIES:
        found.extend(_by_name(root, directory))
    unique: dict[str, FoundChangelog] = {}
    for entry in found:
        key = entry.path.lower()
        if key not in unique and (entry.exists or not unique):
            unique[key] = entry
    return list(unique.values())


def discovered_name(root: Path, pyproject: Mapping[str, Any]) -> str:
    """The changelog to use when ``[tool.releasekit] changelog`` is not set."""
    try:
        tool = detect(root, pyproject)
    except ChangelogError:
        tool = None  # the release's changelog check reports the tool's bad settings
    found = discover(root, pyproject, tool)
    return found[0].path if found else DEFAULT


def _entry(root: Path, name: str, source: str) -> FoundChangelog:
    inside_path(name, f"the changelog {source}")
    return FoundChangelog(
        path=Path(name).as_posix(),
        format=file_format(name),
        source=source,
        exists=(root / name).is_file(),
    )


def _by_name(root: Path, directory: str) -> list[FoundChangelog]:
    folder = root / directory if directory else root
    if not folder.is_dir():
        return []
    ranked: list[tuple[int, int, str]] = []
    for path in folder.iterdir():
        stem, suffix = _split(path.name)
        key = stem.lower().replace("_", "-")
        if key in NAMES and suffix in SUFFIXES and path.is_file():
            ranked.append((NAMES.index(key), SUFFIXES.index(suffix), path.name))
    return [
        FoundChangelog(
            path=f"{directory}/{name}" if directory else name,
            format=file_format(name),
            source="found by name",
            exists=True,
        )
        for _, _, name in sorted(ranked)
    ]


def _split(name: str) -> tuple[str, str]:
    for suffix in (".md", ".rst"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, ""
