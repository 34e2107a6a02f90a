"""The reStructuredText reader: section titles with an underline and an optional overline.

The same reader reads Markdown's setext headings (``Title`` over ``=====`` or ``-----``),
which some Markdown changelogs use instead of ``#``. Levels come from the order in which
adornment styles first appear, as docutils assigns them. Indented lines (literal blocks,
directive bodies) never hold a title, so code needs no special care.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Final

from releasekit.changelog.document import Document
from releasekit.changelog.model import Heading, RawHeading, Section, line_text
from releasekit.changelog.titles import pallets_unreleased, read_heading, release_level

RST_ADORNMENTS: Final = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
SETEXT_ADORNMENTS: Final = frozenset("=-")
_SHORTEST: Final = 3  # a shorter run is an underline only under a title as short


def adornment(content: str, chars: frozenset[str] = RST_ADORNMENTS) -> str:
    """The character a line of adornment repeats (``=====``), or "" for any other line."""
    text = content.rstrip()
    first = text[:1]
    if not first or first not in chars or text.strip(first):
        return ""
    return first


@dataclasses.dataclass(frozen=True)
class Titles:
    """The section titles found: raw headings, and each title's overline and end."""

    raw: list[RawHeading]
    extent: dict[int, tuple[int, int]]  # title index -> (overline index or -1, index after)


def find_titles(lines: Sequence[str], chars: frozenset[str] = RST_ADORNMENTS) -> Titles:
    """Every section title, in one pass over the lines."""
    raw: list[RawHeading] = []
    extent: dict[int, tuple[int, int]] = {}
    styles: dict[tuple[str, bool], int] = {}
    previous_end = -1
    index = 1
    while index < len(lines):
        char = adornment(line_text(lines[index]), chars)
        found = _title_at(lines, index, char, previous_end) if char else None
        if found is None:
            index += 1
            continue
        overline, title, offset = found
        level = styles.setdefault((char, overline >= 0), len(styles) + 1)
        raw.append((index - 1, level, title, offset))
        extent[index - 1] = (overline, index + 1)
        previous_end = index + 1
        index += 2
    return Titles(raw, extent)


def _title_at(
    lines: Sequence[str], under: int, char: str, previous_end: int
) -> tuple[int, str, int] | None:
    """(overline index or -1, title, offset) when line `under` underlines a title."""
    title_line = line_text(lines[under - 1])
    title = title_line.strip()
    if not title or adornment(title_line):
        return None
    overline = under - 2
    has_overline = overline >= 0 and adornment(line_text(lines[overline])) == char
    if not has_overline and title_line[:1].isspace():
        return None  # indented: a literal block or a quote, not a title
    length = len(line_text(lines[under]).rstrip())
    if length < min(len(title), _SHORTEST):
        return None
    before = overline - 1 if has_overline else under - 2
    if before >= 0 and lines[before].strip() and before != previous_end - 1:
        return None  # a paragraph's last line over a rule, not a title
    offset = len(title_line) - len(title_line.lstrip())
    return (overline if has_overline else -1), title, offset


def parse_titles(
    *,
    bom: str,
    lines: list[str],
    eol: str,
    tag_prefix: str,
    chars: frozenset[str] = RST_ADORNMENTS,
) -> Document | None:
    """A document read by its underlined titles, or None when none is a release heading."""
    titles = find_titles(lines, chars)
    level = release_level(titles.raw, tag_prefix)
    if level is None:
        return None
    boundaries: list[Heading] = []
    for raw in titles.raw:
        if raw[1] > level:
            continue
        first, after = titles.extent[raw[0]]
        heading = read_heading(raw, level, tag_prefix)
        boundaries.append(dataclasses.replace(heading, first=first, after=after))
    boundaries = pallets_unreleased(boundaries, lines, len(lines))
    sections = tuple(
        Section(heading=h, end=boundaries[k + 1].start if k + 1 < len(boundaries) else len(lines))
        for k, h in enumerate(boundaries)
    )
    return Document(
        bom=bom,
        lines=tuple(lines),
        level=level,
        sections=sections,
        footer=len(lines),
        strays=(),
        eol=eol,
        tag_prefix=tag_prefix,
        raw_headings=tuple(titles.raw),
        raw_refs=(),
        fmt="rst" if chars is RST_ADORNMENTS else "setext",
    )
