"""What a heading's title or a reference's label says: Unreleased, a version, a date."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Sequence
from typing import Final, NamedTuple

from packaging.version import InvalidVersion, Version

from releasekit.changelog.dates import DateStyle, format_date, read_date
from releasekit.changelog.model import Heading, Kind, LinkRef, RawRef, normal_label
from releasekit.errors import TagError
from releasekit.versions import version_from_tag


def read_link_ref(raw: RawRef, tag_prefix: str) -> LinkRef:
    index, label, url, span, url_index = raw
    kind: Kind = "other"
    version = None
    if normal_label(label) == "unreleased":
        kind = "unreleased"
    else:
        version = label_version(label, tag_prefix)
        if version is not None:
            kind = "release"
    return LinkRef(index, label, url, span, kind, version, url_index)


class _Title(NamedTuple):  # a tuple: one is made for every release heading
    title: str
    label: str
    label_span: tuple[int, int] | None  # within the title
    bracketed: bool
    url: str | None
    url_span: tuple[int, int] | None  # within the title
    before: str  # literal text before the label: "Version ", "mytool ", "2025-10-27: "
    rest: str
    unreleased: bool
    version: Version | None
    looks_like_release: bool


# How people title the section of changes not yet released (compared case-insensitively).
UNRELEASED_WORDS: Final = frozenset({"unreleased", "upcoming"})
UNRELEASED_TITLES: Final[tuple[str, ...]] = (
    "latest changes", "unreleased changes", "next release", "in development",
    "upcoming release", "upcoming changes",
)  # fmt: skip
_UNRELEASED_HINTS: Final = ("unreleased", "upcoming", *UNRELEASED_TITLES)
_PLANNED_MARKS: Final = ("unreleased", "in development", "not yet released", "(upcoming)")
_PUNCTUATION: Final = ":,;()[]*_`"
_MAX_WORDS_BEFORE: Final = 3  # "Version 1.0", "mytool 2.0", "2025-10-27: mytool 16.0.0"


def is_unreleased_label(label: str) -> bool:
    """Whether a heading's label or a reference's label names the Unreleased section."""
    return normal_label(label) in UNRELEASED_WORDS


def _read_title(title: str, tag_prefix: str) -> _Title:
    close = title.find("]") if title.startswith("[") else -1
    if close > 1:
        return _bracketed_title(title, close, tag_prefix)
    folded = title.casefold()
    if folded.startswith(UNRELEASED_TITLES):
        return _Title(title, title, (0, len(title)), False, None, None, "", "", True, None, False)
    position = 0
    for count, word in enumerate(title.split()):
        at = title.index(word, position)
        position = at + len(word)
        label = word.strip(_PUNCTUATION)
        if not label:
            continue
        shift = word.index(label)
        span = (at + shift, at + shift + len(label))
        if count == 0 and (
            normal_label(label) == "unreleased"
            or normal_label(title.strip(" :")) in ("upcoming", "dev")
        ):
            return _Title(
                title, label, span, False, None, None, "", title[span[1] :], True, None, False
            )
        version = label_version(label, tag_prefix)
        if version is not None or (count == 0 and _looks_like_version(label, tag_prefix)):
            if _is_iso_date(label) and count < _MAX_WORDS_BEFORE:
                continue  # a date before the version: ``2025-10-27: mytool 16.0.0``
            looks = version is not None or _looks_like_version(label, tag_prefix)
            before = title[: span[0]]
            return _Title(title, label, span, False, None, None, before, title[span[1] :], False,
                          version, looks)  # fmt: skip
        if count >= _MAX_WORDS_BEFORE or any(char.isdigit() for char in label):
            break
    return _Title(title, "", None, False, None, None, "", title, False, None, False)


def _bracketed_title(title: str, close: int, tag_prefix: str) -> _Title:
    label, after = title[1:close], close + 1
    url: str | None = None
    url_span: tuple[int, int] | None = None
    if title.startswith("(", after) and (end := title.find(")", after)) > after:
        url, url_span = title[after + 1 : end].strip(), (after + 1, end)
        after = end + 1
    elif title.startswith("[", after) and (end := title.find("]", after)) > after:
        after = end + 1  # a reference link, ``[1.0.0][ref]``
    unreleased = is_unreleased_label(label)
    version = None if unreleased else label_version(label, tag_prefix)
    looks = version is not None or _looks_like_version(label, tag_prefix)
    return _Title(title, label, (1, close), True, url, url_span, "", title[after:], unreleased,
                  version, looks)  # fmt: skip


def _is_iso_date(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()


@functools.lru_cache(maxsize=1 << 16)  # a release's heading and its link name it alike
def label_version(label: str, tag_prefix: str) -> Version | None:
    """The version a heading or reference label names: ``1.2.0``, ``v1.2.0``, or a tag."""
    if not label or not _looks_like_version(label, tag_prefix):
        return None
    try:
        return Version(label)
    except InvalidVersion:
        pass
    if tag_prefix and label.startswith(tag_prefix):
        try:
            return version_from_tag(label, prefix=tag_prefix)
        except TagError:
            return None
    return None


def _looks_like_version(label: str, tag_prefix: str) -> bool:
    text = label.strip()
    if tag_prefix and text.startswith(tag_prefix):
        text = text[len(tag_prefix) :]
    elif text[:1] in ("v", "V"):
        text = text[1:]
    return text[:1].isdigit()


def release_level(raw: Sequence[tuple[int, int, str, int]], tag_prefix: str) -> int | None:
    # The Unreleased heading fixes the level; else the level most release headings use.
    for _, level, title, _ in raw:
        folded = title.casefold()
        if (
            any(hint in folded for hint in _UNRELEASED_HINTS)
            and _read_title(title, tag_prefix).unreleased
        ):
            return level
    counts: dict[int, int] = {}
    for _, level, title, _ in raw:
        if _read_title(title, tag_prefix).version is not None:
            counts[level] = counts.get(level, 0) + 1
    if not counts:
        return None
    return max(sorted(counts), key=lambda level: counts[level])


def read_heading(raw: tuple[int, int, str, int], level: int | None, tag_prefix: str) -> Heading:
    index, heading_level, text, offset = raw
    if level is None or heading_level > level:
        # A subsection (``### Added``): only its place and text matter.
        return Heading(
            index, heading_level, text, "other", "", False, None, None, None, None, None, None
        )
    title = _read_title(text, tag_prefix)
    kind: Kind = "other"
    planned = False
    if heading_level == level:
        if title.unreleased:
            kind = "unreleased"
        elif title.version is not None:
            kind = "release"
            # ``1.2.0 (unreleased)``, Sphinx's ``Release 8.1.0 (in development)``: the next
            # version named in an Unreleased heading.
            planned = any(mark in title.rest.casefold() for mark in _PLANNED_MARKS)
            kind = "unreleased" if planned else "release"
    date, date_style, problem, date_span = None, None, None, None
    if kind == "release":
        date, date_style, problem, date_span = _heading_date(title)
    elif heading_level == level and title.looks_like_release and not (title.unreleased or planned):
        problem = f"{title.label!r} is not a valid PEP 440 version"
    span = None
    if title.url_span is not None:
        span = (offset + title.url_span[0], offset + title.url_span[1])
    label_span = None
    if title.label_span is not None:
        label_span = (offset + title.label_span[0], offset + title.label_span[1])
    if date_span is not None:
        date_span = (offset + date_span[0], offset + date_span[1])
    return Heading(
        index=index,
        level=heading_level,
        title=text,
        kind=kind,
        label=title.label,
        bracketed=title.bracketed,
        url=title.url,
        url_span=span,
        version=title.version if kind == "release" or planned else None,
        date=date,
        date_style=date_style,
        problem=problem,
        label_span=label_span,
        date_span=date_span,
        status=index if planned else None,
    )


def _heading_date(
    title: _Title,
) -> tuple[datetime.date | None, DateStyle | None, str | None, tuple[int, int] | None]:
    """The date of a release heading, after the version or (``2025-10-27: x 1.0``) before it."""
    rest_start = len(title.title) - len(title.rest)
    date, style, problem = read_date(title.rest)
    start = rest_start
    if date is None and problem is None and title.before:
        date, style, problem = read_date(title.before)
        start = 0
    if date is None or style is None:
        return date, style, problem, None
    begin = start + len(style.before)
    return date, style, problem, (begin, begin + len(format_date(date, style.form)))


def pallets_unreleased(headings: list[Heading], lines: Sequence[str], end: int) -> list[Heading]:
    """Read ``## Version 3.2.0`` followed by a line ``Unreleased`` as the Unreleased section.

    Pallets' projects (Flask, Click, Jinja) name the next version in the heading and mark it
    with that line, which becomes ``Released 2024-11-13`` on release.
    """
    position = next((k for k, h in enumerate(headings) if h.kind != "other"), None)
    if position is None or headings[position].kind != "release":
        return headings
    first = headings[position]
    stop = headings[position + 1].start if position + 1 < len(headings) else end
    for index in range(first.stop, min(stop, len(lines))):
        text = lines[index].strip()
        if text:
            if text.casefold() != "unreleased":
                break
            marked = dataclasses.replace(first, kind="unreleased", status=index)
            return [*headings[:position], marked, *headings[position + 1 :]]
    return headings
