"""Fragment-based changelogs: which tool a project uses (towncrier, scriv), and at which version.

A project that keeps news fragments (``changelog.d/123.fixed.md``) and builds its changelog
at release time says so in its configuration: ``[tool.towncrier]`` in ``towncrier.toml`` or
``pyproject.toml``; ``[tool.scriv]`` in ``pyproject.toml``, ``[scriv]`` in ``setup.cfg``,
``tox.ini`` or ``changelog.d/scriv.ini`` (or a changelog holding scriv's insert marker).
This module only reads; running the tool is `releasekit.changelog.fragments.run`'s job.

The version installed is the one the project pins (see `pins.find_requirement`).
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal

from releasekit.errors import ChangelogError

ToolName = Literal["towncrier", "scriv"]
TOWNCRIER_TOML: Final = "towncrier.toml"
SCRIV_MARKER: Final = "scriv-insert-here"


@dataclass(frozen=True)
class FragmentTool:
    """The fragment tool a project uses, the files it works on, and what to install."""

    name: ToolName
    config: str  # the file its settings were read from, relative to the root
    news_file: str | None  # the file it writes; None when it writes one file per version
    fragment_dir: str
    requirement: str  # what is installed, e.g. "towncrier==24.8.0"
    pinned_by: str | None  # where that pin was found; None when the project pins nothing

    def describe(self) -> str:
        """One line for people."""
        pin = f"pinned by {self.pinned_by}" if self.pinned_by else "not pinned by the project"
        into = self.news_file or "one file per version"
        return (
            f"{self.name} (settings in {self.config}; fragments in {self.fragment_dir}/, "
            f"written into {into}; installs {self.requirement!r}, {pin})"
        )


def detect(root: Path, pyproject: Mapping[str, Any]) -> FragmentTool | None:
    """The fragment tool configured in the project at `root`, or None; changes nothing."""
    towncrier = _towncrier(root, pyproject)
    scriv = _scriv(root, pyproject)
    if towncrier is not None and scriv is not None:
        msg = (
            f"both towncrier ({towncrier.config}) and scriv ({scriv.config}) are configured; "
            "releasekit runs one fragment tool: remove the other's settings"
        )
        raise ChangelogError(msg)
    return towncrier or scriv


# --- towncrier ----------------------------------------------------------------------------


def _towncrier(root: Path, pyproject: Mapping[str, Any]) -> FragmentTool | None:
    # towncrier itself prefers towncrier.toml over pyproject.toml, whole-file.
    if (root / TOWNCRIER_TOML).is_file():
        source = TOWNCRIER_TOML
        table = _tool_table(_read_toml(root / TOWNCRIER_TOML), "towncrier")
        if table is None:
            msg = f"{TOWNCRIER_TOML} has no [tool.towncrier] table; add one or remove the file"
            raise ChangelogError(msg)
    else:
        source = "pyproject.toml"
        table = _tool_table(pyproject, "towncrier")
        if table is None:
            return None
    filename = _path_value(table, "filename", "NEWS.rst", source, "towncrier")
    single = table.get("single_file", table.get("singlefile", True))
    directory = table.get("directory")
    if directory is None:
        # towncrier's default: a newsfragments directory inside the package.
        package = table.get("package") or pyproject.get("project", {}).get("name", "")
        package_dir = _path_value(table, "package_dir", ".", source, "towncrier")
        directory = (PurePosixPath(package_dir) / str(package) / "newsfragments").as_posix()
    else:
        directory = _path_value(table, "directory", "", source, "towncrier")
    template = table.get("template")
    if isinstance(template, str) and ":" not in template:
        _path_value(table, "template", "", source, "towncrier")
    requirement, pinned_by = _requirement(root, pyproject, "towncrier")
    return FragmentTool(
        name="towncrier",
        config=source,
        news_file=filename if single is not False else None,
        fragment_dir=PurePosixPath(directory).as_posix(),
        requirement=requirement,
        pinned_by=pinned_by,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"{path.name} cannot be read as TOML ({exc}); fix the file and run again"
        raise ChangelogError(msg) from None


def _tool_table(data: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    table = data.get("tool", {}).get(name)
    if table is None:
        return None
    if not isinstance(table, dict):
        msg = f"[tool.{name}] must be a table"
        raise ChangelogError(msg)
    return table


def _path_value(table: Mapping[str, Any], key: str, default: str, source: str, tool: str) -> str:
    """A path setting of the tool: relative, inside the project (never followed outside it)."""
    value = table.get(key, default)
    if not isinstance(value, str):
        msg = f"{tool} setting {key!r} in {source} must be a string, got {value!r}"
        raise ChangelogError(msg)
    inside_path(value, f"{tool} setting {key!r} in {source}")
    return value


def inside_path(value: str, what: str) -> PurePosixPath:
    """`value` as a relative path that stays inside the project, else ChangelogError."""
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or value.startswith("~") or ".." in path.parts or ":" in value:
        msg = (
            f"{what} is {value!r}, which leaves the project; releasekit only reads and "
            "writes inside the repository: make it a path relative to the project root"
        )
        raise ChangelogError(msg)
    return path


# --- scriv --------------------------------------------------------------------------------


def _scriv(root: Path, pyproject: Mapping[str, Any]) -> FragmentTool | None:
    # scriv reads setup.cfg, tox.ini, pyproject.toml, then <fragment_directory>/scriv.ini;
    # later files override earlier ones.
    settings: dict[str, str] = {}
    sources: list[str] = []
    for name in ("setup.cfg", "tox.ini"):
        found = _ini_section(root / name)
        if found is not None:
            settings.update(found)
            sources.append(name)
    table = _tool_table(pyproject, "scriv")
    if table is not None:
        settings.update({key: str(value) for key, value in table.items()})
        sources.append("pyproject.toml")
    fragment_dir = settings.get("fragment_directory", "changelog.d")
    inside_path(fragment_dir, "scriv setting 'fragment_directory'")
    ini = f"{fragment_dir}/scriv.ini"
    found = _ini_section(root / ini)
    if found is not None:
        settings.update(found)
        sources.append(ini)
    form = settings.get("format", "rst")
    news_file = settings.get("changelog", settings.get("output_file", f"CHANGELOG.{form}"))
    inside_path(news_file, "scriv setting 'changelog'")
    if not sources and not _has_marker(root / news_file, root / fragment_dir):
        return None
    requirement, pinned_by = _requirement(root, pyproject, "scriv")
    return FragmentTool(
        name="scriv",
        config=sources[-1] if sources else f"{news_file} ({SCRIV_MARKER} marker)",
        news_file=news_file,
        fragment_dir=fragment_dir,
        requirement=requirement,
        pinned_by=pinned_by,
    )


def _ini_section(path: Path) -> dict[str, str] | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        msg = f"{path.name} cannot be read ({type(exc).__name__}); fix the file and run again"
        raise ChangelogError(msg) from None
    for section in ("scriv", "tool.scriv", "tool:scriv"):
        if parser.has_section(section):
            return dict(parser.items(section))
    return None


def _has_marker(news_file: Path, fragment_dir: Path) -> bool:
    """A scriv project without settings: a fragment directory and scriv's insert marker."""
    if not fragment_dir.is_dir() or not news_file.is_file():
        return False
    try:
        return SCRIV_MARKER in news_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _requirement(
    root: Path, pyproject: Mapping[str, Any], tool: ToolName
) -> tuple[str, str | None]:
    # `pins` reads requirements with packaging and dependency-groups: loaded only when a
    # project has a fragment tool, so a release of any other project does not pay for it.
    from releasekit.changelog.fragments.pins import find_requirement  # noqa: PLC0415

    return find_requirement(root, pyproject, tool)
