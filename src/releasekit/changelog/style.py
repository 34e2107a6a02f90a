"""The house style of release headings, learned from the newest release headings of the file.

How the style is chosen (docs/changelog.md says the same for users):

1. Take the newest `WINDOW` release headings: the first ones in a newest-first file, the
   last ones in an oldest-first file. Older headings are never looked at, so an old outlier
   cannot decide anything.
2. Turn each into a template: the whole heading line with its version, its inline link's
   URL and its date replaced by placeholders, and the date's format (ISO, or words such as
   ``{B} {d}{th}, {Y}``) kept. ``## [v4.2.0](https://x/compare/v4.1.0...v4.2.0) - 2026-08-21``
   and ``## [v4.1.0](https://x/compare/v4.0.0...v4.1.0) - 2026-07-01`` share a template.
3. The template most of them share wins; a tie goes to the newest. When there are at least
   three and no two agree, the style cannot be told and the release is refused.
4. The blank line after the heading (or none: compact) is the majority of the same headings.

A file with no release yet takes Keep a Changelog's ``## [X.Y.Z] - YYYY-MM-DD`` at the
Unreleased heading's level, bracketed (and inline-linked) as the Unreleased heading is.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Final

from releasekit.changelog.dates import KAC_DATE, format_date
from releasekit.changelog.document import Document
from releasekit.changelog.model import Heading, Section, line_text
from releasekit.errors import ChangelogError

WINDOW: Final = 5
VERSION: Final = "\x00V"
URL: Final = "\x00U"
DATE: Final = "\x00D"
_YANKED: Final = "[YANKED]"


@dataclass(frozen=True)
class Style:
    """How the file writes a release heading, and where it was learned."""

    template: str  # the heading line with VERSION, URL and DATE placeholders
    date_form: str | None  # None: the house does not date its releases
    compact: bool  # no blank line between a release heading and its first entry
    learned_from: tuple[int, ...] = ()  # 1-based lines of the headings that agree
    underline: str = ""  # reStructuredText and setext: the adornment character
    overline: bool = False
    pad: int = 0  # how much longer than the title the adornment is

    @property
    def prefix(self) -> str:
        """Text inside the label before the version: "v" in ``## [v1.2.0]``."""
        before = self.template.partition(VERSION)[0]
        return before[before.rfind("[") + 1 :] if "[" in before else ""

    @property
    def bracketed(self) -> bool:
        """Whether the version is a link label: ``## [1.2.0]``."""
        before, _, after = self.template.partition(VERSION)
        return "[" in before and "]" in after

    @property
    def inline(self) -> bool:
        """Whether the heading carries its link inline: ``## [1.2.0](URL)``."""
        return URL in self.template

    def lines(self, title: str) -> list[str]:
        """The heading's lines (no endings): the title, with its adornment when it has one."""
        if not self.underline:
            return [title]
        rule = self.underline * (len(title.strip()) + self.pad)
        return [rule, title, rule] if self.overline else [title, rule]

    def render(self, version: str, url: str | None, date: datetime.date) -> str:
        """The new release heading line, without a line ending."""
        line = self.template
        line = line.replace(f"({URL})", "") if url is None else line.replace(URL, url)
        if self.date_form is not None:
            line = line.replace(DATE, format_date(date, self.date_form))
        return line.replace(VERSION, version)


def template(doc: Document, heading: Heading) -> tuple[str, str | None]:
    """The heading's line with its version, URL and date replaced by placeholders."""
    line = line_text(doc.lines[heading.index])
    after_label = heading.label_span[1] if heading.label_span is not None else 0
    version_text = heading.label[_digit(heading.label) :]
    if (
        heading.date_span is not None
        and heading.date_style is not None
        and heading.date_span[0] >= after_label
    ):
        # What follows the date is this release's own note (``[YANKED]``), not the style,
        # unless it names the version again (hatch's ``## {: #hatch-v1.13.0 }`` anchor).
        cut = heading.date_span[1] + len(heading.date_style.after)
        if version_text not in line[cut:]:
            line = line[:cut]
    elif line.rstrip().upper().endswith(_YANKED):
        line = line.rstrip()[: -len(_YANKED)].rstrip()
    spans: list[tuple[tuple[int, int], str]] = []
    if heading.label_span is not None:
        start, end = heading.label_span
        spans.append(((start + _digit(heading.label), end), VERSION))
    if heading.url_span is not None:
        spans.append((heading.url_span, URL))
    form = None
    if heading.date_span is not None and heading.date_style is not None:
        spans.append((heading.date_span, DATE))
        form = heading.date_style.form
    tail_from = max((end for (_, end), _ in spans), default=0)
    tail = line[tail_from:]
    if version_text and version_text in tail:
        line = line[:tail_from] + tail.replace(version_text, VERSION)
    for (start, end), mark in sorted(spans, reverse=True):
        line = line[:start] + mark + line[end:]
    return line, form


def _digit(label: str) -> int:
    return next((i for i, c in enumerate(label) if c.isdigit()), 0)


def newest_releases(doc: Document, count: int = WINDOW) -> list[Section]:
    """The newest `count` release sections, newest first, whatever order the file uses."""
    releases = doc.releases
    head = releases[:count]
    if len(releases) > 1:
        first, last = releases[0].heading.version, releases[-1].heading.version
        if first is not None and last is not None and first < last:
            head = releases[::-1][:count]
    return head


def heading_style(doc: Document, unreleased: Section) -> Style:
    """The house style of release headings; ChangelogError when it cannot be told."""
    sections = newest_releases(doc)
    if not sections:
        return _first_release_style(doc, unreleased)
    shapes = [template(doc, section.heading) for section in sections]
    votes = Counter(shapes)
    best = max(votes.values())
    winner = next(shape for shape in shapes if votes[shape] == best)  # a tie: the newest
    if best == 1 and len(shapes) >= 3:
        lines = ", ".join(str(section.heading.line) for section in sections)
        msg = (
            f"cannot tell the house style of release headings: the newest {len(shapes)} "
            f"(lines {lines}) are all written differently; make the newest ones agree"
        )
        raise ChangelogError(msg)
    agreeing = [s for s, shape in zip(sections, shapes, strict=True) if shape == winner]
    blanks = [_blank_after(doc, section) for section in agreeing]
    compact = blanks.count(False) > blanks.count(True)
    underline, overline, pad = adornment_style(doc, agreeing[0].heading)
    return Style(
        template=winner[0],
        date_form=winner[1],
        compact=compact,
        learned_from=tuple(section.heading.line for section in agreeing),
        underline=underline,
        overline=overline,
        pad=pad,
    )


def adornment_style(doc: Document, heading: Heading) -> tuple[str, bool, int]:
    """A title's adornment: its character, whether it has an overline, its extra length."""
    if heading.after < 0:
        return "", False, 0
    rule = line_text(doc.lines[heading.after - 1]).rstrip()
    title = line_text(doc.lines[heading.index]).strip()
    return rule[:1], heading.first >= 0, max(len(rule) - len(title), 0)


def _blank_after(doc: Document, section: Section) -> bool:
    following = section.heading.stop
    return following >= section.end or not doc.lines[following].strip()


def _first_release_style(doc: Document, unreleased: Section) -> Style:
    head = unreleased.heading
    label = f"[{VERSION}]" if head.bracketed else VERSION
    if head.url is not None:
        label += f"({URL})"
    underline, overline, pad = adornment_style(doc, head)
    hashes = "" if underline else "#" * head.level + " "
    return Style(
        template=hashes + label + KAC_DATE.before + DATE,
        date_form=KAC_DATE.form,
        compact=not _blank_after(doc, unreleased),
        underline=underline,
        overline=overline,
        pad=pad,
    )
