"""The house style of release headings, learned from the file."""

from __future__ import annotations

from dataclasses import dataclass

from releasekit.changelog.dates import KAC_DATE, DateStyle
from releasekit.changelog.document import Document
from releasekit.changelog.model import Section


@dataclass(frozen=True)
class Style:
    bracketed: bool
    prefix: str  # text before the version in the label, e.g. "v" in ``## [v1.2.0]``
    inline: bool
    date: DateStyle


def heading_style(doc: Document, unreleased: Section) -> Style:
    """The file's own release heading style where all its headings agree, else Keep a Changelog."""
    headings = [section.heading for section in doc.releases]
    if not headings:
        head = unreleased.heading
        return Style(
            bracketed=head.bracketed, prefix="", inline=head.url is not None, date=KAC_DATE
        )
    bracketed = {h.bracketed for h in headings}
    prefixes = {
        h.label[: next((i for i, c in enumerate(h.label) if c.isdigit()), 0)] for h in headings
    }
    inline = {h.url is not None for h in headings}
    dates = {h.date_style for h in headings if h.date_style is not None}
    return Style(
        bracketed=bracketed.pop() if len(bracketed) == 1 else True,
        prefix=prefixes.pop() if len(prefixes) == 1 else "",
        inline=inline == {True},
        date=dates.pop() if len(dates) == 1 else KAC_DATE,
    )
