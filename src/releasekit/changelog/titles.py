"""What a heading's title or a reference's label says: Unreleased, a version, a date."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

from packaging.version import InvalidVersion, Version

from releasekit.changelog.dates import read_date
from releasekit.changelog.model import Heading, Kind, LinkRef, RawRef, normal_label
from releasekit.errors import TagError
from releasekit.versions import version_from_tag


def read_link_ref(raw: RawRef, tag_prefix: str) -> LinkRef:
    index, label, url, span = raw
    kind: Kind = "other"
    version = None
    if normal_label(label) == "unreleased":
        kind = "unreleased"
    else:
        version = label_version(label, tag_prefix)
        if version is not None:
            kind = "release"
    return LinkRef(index=index, label=label, url=url, url_span=span, kind=kind, version=version)


class _Title(NamedTuple):  # a tuple: one is made for every release heading
    label: str
    bracketed: bool
    url: str | None
    url_span: tuple[int, int] | None  # within the title
    rest: str
    unreleased: bool
    version: Version | None
    looks_like_release: bool


def _read_title(title: str, tag_prefix: str) -> _Title:
    label, rest, bracketed = "", title, False
    url: str | None = None
    url_span: tuple[int, int] | None = None
    close = title.find("]") if title.startswith("[") else -1
    if close > 1:
        label, bracketed, after = title[1:close], True, close + 1
        if title.startswith("(", after) and (end := title.find(")", after)) > after:
            url, url_span = title[after + 1 : end].strip(), (after + 1, end)
            after = end + 1
        elif title.startswith("[", after) and (end := title.find("]", after)) > after:
            after = end + 1  # a reference link, ``[1.0.0][ref]``
        rest = title[after:]
    elif title:
        word = title.split(maxsplit=1)[0]
        label, rest = word.rstrip(":,"), title[len(word) :]
    unreleased = normal_label(label) == "unreleased"
    version = None if unreleased else label_version(label, tag_prefix)
    looks = version is not None or _looks_like_version(label, tag_prefix)
    return _Title(label, bracketed, url, url_span, rest, unreleased, version, looks)


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
        if "unreleased" in title.casefold() and _read_title(title, tag_prefix).unreleased:
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
    if heading_level == level:
        if title.unreleased:
            kind = "unreleased"
        elif title.version is not None:
            kind = "release"
    date, date_style, problem = None, None, None
    if kind == "release":
        date, date_style, problem = read_date(title.rest)
    elif heading_level == level and title.looks_like_release and not title.unreleased:
        problem = f"{title.label!r} is not a valid PEP 440 version"
    span = None
    if title.url_span is not None:
        span = (offset + title.url_span[0], offset + title.url_span[1])
    return Heading(
        index=index,
        level=heading_level,
        title=text,
        kind=kind,
        label=title.label,
        bracketed=title.bracketed,
        url=title.url,
        url_span=span,
        version=title.version if kind == "release" else None,
        date=date,
        date_style=date_style,
        problem=problem,
    )
