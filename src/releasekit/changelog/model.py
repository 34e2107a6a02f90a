"""The changelog's document model: headings, link references, sections, findings."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from packaging.version import Version

from releasekit.changelog.dates import DateStyle

Category = Literal["added", "changed", "deprecated", "removed", "fixed", "security"]
CATEGORIES: Final[tuple[Category, ...]] = get_args(Category)
Severity = Literal["error", "warning"]
Kind = Literal["unreleased", "release", "other"]
Report = Callable[[int, Severity, str], None]
# What the line scan keeps: (line index, level, title, title offset) for a heading, and
# (line index, label, URL, URL span, index of the URL's line) for a link reference.
RawHeading = tuple[int, int, str, int]
RawRef = tuple[int, str, str, tuple[int, int], int]


# --- the model --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heading:
    """An ATX heading outside code and HTML blocks, read as a changelog heading."""

    index: int  # 0-based line index
    level: int
    title: str
    kind: Kind
    label: str  # the bracketed text, or the first word ("" below the release level)
    bracketed: bool
    url: str | None  # an inline link: ``## [1.0.0](url)``
    url_span: tuple[int, int] | None  # where `url` sits in the line
    version: Version | None
    date: datetime.date | None
    date_style: DateStyle | None
    problem: str | None  # why a heading that looks like a release is not a valid one
    label_span: tuple[int, int] | None = None  # where the label sits in the line
    date_span: tuple[int, int] | None = None  # where the date sits in the line
    status: int | None = None  # Pallets: the line under ``## Version 3.2.0`` that says Unreleased
    first: int = -1  # reStructuredText: the overline's index when there is one
    after: int = -1  # reStructuredText: the index after the underline

    @property
    def start(self) -> int:
        """The index of the heading's first line (an overline, or the title)."""
        return self.first if self.first >= 0 else self.index

    @property
    def stop(self) -> int:
        """The index of the first line after the heading (after an underline)."""
        return self.after if self.after >= 0 else self.index + 1

    @property
    def line(self) -> int:
        """The 1-based line number."""
        return self.index + 1


@dataclass(frozen=True, slots=True)
class LinkRef:
    """A link reference definition: ``[label]: url``."""

    index: int
    label: str
    url: str
    url_span: tuple[int, int]  # where the URL sits in its line
    kind: Kind  # "unreleased", "release" for a version label, else "other"
    version: Version | None
    url_index: int = -1  # the URL's line: the next one in a two-line reference

    @property
    def url_line(self) -> int:
        """The index of the line that holds the URL."""
        return self.index if self.url_index < 0 else self.url_index

    @property
    def line(self) -> int:
        """The 1-based line number."""
        return self.index + 1


@dataclass(frozen=True, slots=True)
class Section:
    """A heading at the release level (or above it) and the lines up to the next one."""

    heading: Heading
    end: int  # index of the first line after the body

    @property
    def kind(self) -> Kind:
        """Unreleased, a release, or another heading."""
        return self.heading.kind

    @property
    def body(self) -> range:
        """Indices of the body's lines (after the heading)."""
        return range(self.heading.stop, self.end)


@dataclass(frozen=True)
class Finding:
    """One problem that `check` found, at a 1-based line."""

    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class EditResult:
    """The new text of the changelog, and what the user should be told about it.

    After `promote`, `notes` is the new section's body: what ``notes(text, version)`` returns
    for the new text, worked out from the edit itself so that a release does not parse the
    file a second time. `add` leaves it empty.
    """

    text: str
    warnings: list[str] = field(default_factory=list)
    notes: str = ""


PromoteResult = EditResult


def line_text(line: str) -> str:
    """A line without its line ending."""
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith("\n") else line


def normal_label(label: str) -> str:
    """A link label as Markdown compares them: whitespace collapsed, case folded."""
    return " ".join(label.split()).casefold()
