"""Reading only what promote edits: the top of the file and its closing block of links.

A release edits the Unreleased section, the newest release headings it learns the house
style from, and the link references at the bottom. On a long file the part in between —
years of old releases — is kept as one unread piece of text, so promote costs the same on
a 16,000-line file as on a 100-line one. The top is read in growing chunks until it holds
the Unreleased section and `NEEDED` release headings after it; anything unusual there (an
unclosed fence, an oldest-first file, no Unreleased section) falls back to reading the
whole file, so the result is always the one a full read gives (the tests compare both).
"""

from __future__ import annotations

import dataclasses
from typing import Final

from packaging.version import Version

from releasekit.changelog.document import Document
from releasekit.changelog.markdown import parse, raw_reference, split_lines
from releasekit.changelog.model import RawRef
from releasekit.changelog.style import WINDOW
from releasekit.errors import ChangelogError

CHUNK: Final = 1 << 13  # the first read: 8 KiB, then four times more each time
NEEDED: Final = WINDOW + 2  # release headings below Unreleased: the style's five, complete
_MARGIN: Final = 3  # lines read around the references found in the link block


def parse_for_edit(
    text: str, *, tag_prefix: str = "v", fmt: str | None = None, chunk: int = CHUNK
) -> Document:
    """The document with its middle unread (one opaque line), or the full parse."""
    size = chunk
    while len(text) > size * 2:
        cut = text.find("\n", size)
        if cut < 0:
            break
        head = parse(text[: cut + 1], tag_prefix=tag_prefix, fmt=fmt)
        verdict = _head_is_enough(head)
        if verdict is True:
            return _join(text, head, cut + 1, tag_prefix)
        if verdict is None:
            break  # nothing a longer head would fix: read the whole file
        size *= 4
    return parse(text, tag_prefix=tag_prefix, fmt=fmt)


def _head_is_enough(head: Document) -> bool | None:
    """True: the head holds all promote needs; False: read more; None: read everything."""
    if head.strays or head.level is None:
        return None if head.strays else False
    kinds = [section.kind for section in head.sections if section.kind != "other"]
    if "unreleased" not in kinds:
        return False
    after = kinds[kinds.index("unreleased") + 1 :]
    if len(after) < NEEDED:
        return False
    releases = [s.heading.version for s in head.releases if s.heading.version is not None]
    if kinds.count("unreleased") > 1 or (len(releases) > 1 and releases[0] < releases[-1]):
        return None  # two Unreleased sections, or an oldest-first file
    return True


def _join(text: str, head: Document, middle_start: int, tag_prefix: str) -> Document:
    window = _link_window(text, head, middle_start)
    lines: list[str] = list(head.lines)
    hidden = None
    refs: list[RawRef] = list(head.raw_refs)
    if window is None:
        window = (len(text), len(text))
    start, end = window
    if start > middle_start:
        hidden = (len(lines), text[middle_start:start])
        lines.append(hidden[1])
    shown = split_lines(text[start:end])
    offset = len(lines)
    position = 0
    while position < len(shown):
        raw = raw_reference(shown, position)
        if raw is not None:
            index, label, url, span, url_index = raw
            refs.append((index + offset, label, url, span, url_index + offset))
            position = url_index + 1
        else:
            position += 1
    lines.extend(shown)
    if end < len(text):
        lines.append(text[end:])
    # The last section of the head runs on into the unread middle.
    sections = list(head.sections)
    if sections:
        sections[-1] = dataclasses.replace(sections[-1], end=len(head.lines))
    return Document(
        bom=head.bom,
        lines=tuple(lines),
        level=head.level,
        sections=tuple(sections),
        footer=offset if shown else len(lines),
        strays=head.strays,
        eol=head.eol,
        tag_prefix=tag_prefix,
        raw_headings=head.raw_headings,
        raw_refs=tuple(refs),
        fmt=head.fmt,
        hidden=hidden,
    )


def _link_window(text: str, head: Document, limit: int) -> tuple[int, int] | None:
    """The lines of the link block promote reads: the references of Unreleased and of the
    newest releases, and a few lines around them.

    The reference of Unreleased or of the newest release is searched for (C-speed
    ``str.find``) in growing pieces of the file's end, each piece once; the others sit next
    to it in either order, so they are looked for only around it.
    """
    named = [s.heading.label for s in head.sections if s.kind != "other" and s.heading.label]
    first_labels = {*named[:2], "Unreleased", "unreleased"}
    labels = {*named[: NEEDED + 1], *first_labels, "UNRELEASED"}
    anchor = -1
    end = len(text)
    size = CHUNK
    while anchor < 0 and end > limit:
        start = max(limit, len(text) - size)
        piece = text[start : min(len(text), end + 64)]  # a little overlap: no label cut
        hits = [at for label in first_labels if (at := _reference_at(piece, label)) >= 0]
        anchor = start + min(hits) if hits else -1
        end = start
        size *= 4
    if anchor < 0:
        return None
    around = max(limit, anchor - CHUNK)
    piece = text[around : anchor + CHUNK]
    found = [around + at for label in labels if (at := _reference_at(piece, label)) >= 0]
    first, last = min(found), max(found)
    for _ in range(_MARGIN):  # a few lines more on each side: the file's order and gaps
        first = max(text.rfind("\n", limit, max(first - 1, limit)) + 1, limit)
    for _ in range(_MARGIN + 2):
        following = text.find("\n", last)
        last = len(text) if following < 0 else following + 1
    return first, last


def _reference_at(region: str, label: str) -> int:
    """Where the line of the reference ``[label]:`` starts in `region`, or -1.

    The search is for ``label]:`` (rare letters first: ``\n[`` starts every reference line
    and would slow the search down), then the match is checked to start a line.
    """
    needle = f"{label}]:"
    at = region.find(needle)
    while at >= 0:
        bracket = at - 1
        if region[bracket : bracket + 1] == "[":
            line = region.rfind("\n", 0, bracket) + 1
            if not region[line:bracket].strip(" "):
                return line
        at = region.find(needle, at + 1)
    return -1


def refuse_buried_section(doc: Document, version: Version) -> None:
    """Refuse when a section for `version` sits in the unread middle of the file."""
    if doc.hidden is None:
        return
    first, middle = doc.hidden
    needle = str(version)
    position = middle.find(needle)
    while position >= 0:
        start = middle.rfind("\n", 0, max(position - 1, 0))
        start = middle.rfind("\n", 0, start) + 1 if start > 0 else 0  # one line above
        end = middle.find("\n", middle.find("\n", position) + 1)  # one line below
        snippet = middle[start : len(middle) if end < 0 else end + 1]
        found = parse(snippet, tag_prefix=doc.tag_prefix, fmt=doc.fmt if doc.fmt == "rst" else None)
        for section in found.releases:
            heading = section.heading
            if heading.version == version and heading.level == doc.level:
                line = first + middle.count("\n", 0, start) + heading.index + 1
                msg = (
                    f"the changelog already has a section for {needle!r} (line {line}); "
                    "promote a new version or remove that section"
                )
                raise ChangelogError(msg)
        position = middle.find(needle, position + len(needle))
