"""Reading a changelog: its one Unreleased section, entries and a release's notes."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Final

from packaging.version import Version

from releasekit.changelog.document import Document
from releasekit.changelog.markdown import parse
from releasekit.changelog.model import Section, line_text
from releasekit.changelog.rst import adornment
from releasekit.errors import ChangelogError

_KAC_HEADING: Final = "## [Unreleased]"


# --- reading a document -----------------------------------------------------------------


def only_unreleased(doc: Document) -> Section:
    found = doc.unreleased
    if len(found) > 1:
        lines = ", ".join(str(section.heading.line) for section in found)
        msg = f"the changelog has {len(found)} Unreleased sections (lines {lines}); keep one"
        raise ChangelogError(msg)
    if found:
        return found[0]
    if not doc.releases:
        msg = (
            "the changelog does not look like Keep a Changelog: it has neither an "
            f"{_KAC_HEADING!r} heading nor release headings such as '## [1.0.0] - 2024-01-31'"
        )
        raise ChangelogError(msg)
    first = doc.releases[0].heading
    label = "[Unreleased]" if first.bracketed else "Unreleased"
    heading = (
        f"a '{'#' * first.level} {label}' heading"
        if doc.fmt == "markdown"
        else ("an 'Unreleased' title (underlined as the releases are)")
    )
    msg = (
        f"the changelog has no Unreleased section; add {heading} above line {first.line} "
        "with the changes under it, or run 'releasekit changelog add TEXT', which creates it"
    )
    raise ChangelogError(msg)


def entry_lines(doc: Document, section: Section) -> list[int]:
    """Lines of a section's body that are entries: not blank, a heading or an HTML comment."""
    skip: set[int] = set()
    for items in (doc.raw_headings, doc.raw_refs):  # in line order: look only inside the body
        first = bisect.bisect_left(items, section.body.start, key=lambda item: item[0])
        last = bisect.bisect_left(items, section.body.stop, key=lambda item: item[0])
        skip.update(item[0] for item in items[first:last])
    found: list[int] = []
    in_comment = False
    for index in section.body:
        stripped = doc.lines[index].strip()
        if in_comment:
            in_comment = "-->" not in stripped
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if index == section.heading.status or (doc.fmt != "markdown" and adornment(stripped)):
            continue
        if stripped and index not in skip:
            found.append(index)
    return found


def has_unreleased_entries(text: str, *, fmt: str | None = None) -> bool:
    """Whether the changelog has an Unreleased section with at least one entry."""
    doc = parse(text, fmt=fmt)
    found = doc.unreleased
    return len(found) == 1 and bool(entry_lines(doc, found[0]))


def notes(text: str, version: Version, *, tag_prefix: str = "v", fmt: str | None = None) -> str:
    """Return the body of `version`'s section, without surrounding blank lines or endings."""
    doc = parse(text, tag_prefix=tag_prefix, fmt=fmt)
    for section in doc.releases:
        if section.heading.version == version:
            return body_text(_without_status(doc.lines[section.body.start : section.body.stop]))
    known = ", ".join(str(section.heading.version) for section in doc.releases[:5])
    listing = f"; the latest are: {known}" if known else "; it has no release sections"
    msg = f"the changelog has no section for version {str(version)!r}{listing}"
    raise ChangelogError(msg)


def _without_status(body: Sequence[str]) -> Sequence[str]:
    """Pallets' ``Released 2024-11-13`` line is not part of the notes."""
    first = next((at for at, line in enumerate(body) if line.strip()), None)
    if first is not None and body[first].strip().startswith(("Released ", "Released on ")):
        return body[first + 1 :]
    return body


def body_text(body: Sequence[str]) -> str:
    """A section's body without its surrounding blank lines, joined without line endings."""
    first, last = 0, len(body)
    while first < last and not body[first].strip():
        first += 1
    while last > first and not body[last - 1].strip():
        last -= 1
    return "\n".join(line_text(line) for line in body[first:last])
