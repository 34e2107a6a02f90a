"""The changelog: a line-exact Keep a Changelog model, and promote, notes, check and add.

Every function here is pure: it takes the text of the file and returns new text, a body, or
findings; reading and writing files is the caller's business. The parser keeps each line's
exact text (with its line ending), so rendering an unchanged document gives back the input
byte for byte, and an edit replaces only the lines it must. ``docs/changelog.md`` describes
the variants accepted and the refusals.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final, Literal, NamedTuple, get_args
from urllib.parse import urlsplit

from packaging.version import InvalidVersion, Version

from releasekit.errors import ChangelogError, TagError, UsageError
from releasekit.versions import tag_for_version, version_from_tag

Category = Literal["added", "changed", "deprecated", "removed", "fixed", "security"]
CATEGORIES: Final[tuple[Category, ...]] = get_args(Category)
Severity = Literal["error", "warning"]
Kind = Literal["unreleased", "release", "other"]
_Report = Callable[[int, Severity, str], None]
# What the line scan keeps: (line index, level, title, title offset) for a heading, and
# (line index, label, URL, URL span) for a link reference.
_RawHeading = tuple[int, int, str, int]
_RawRef = tuple[int, str, str, tuple[int, int]]

_ATX: Final = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_REFERENCE: Final = re.compile(r" {0,3}\[((?:[^\[\]\\]|\\.)+)\]:([ \t]*)(<[^<>]*>|\S+)(.*)")
_ISO_DATE: Final = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
_WORDS_DATE: Final = re.compile(
    r"(?P<m>[A-Za-z]{3,9})\.? (?P<d>\d{1,2})(?P<th>st|nd|rd|th)?,? (?P<y>\d{4})(?!\d)"
    r"|(?<!\d)(?P<d2>\d{1,2})(?P<th2>st|nd|rd|th)? (?P<m2>[A-Za-z]{3,9})\.?,? (?P<y2>\d{4})(?!\d)"
)
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_HTML_BLOCKS: Final = {"<!--": "-->", "<pre": "</pre>", "<script": "</script>",
                       "<style": "</style>", "<textarea": "</textarea>"}  # fmt: skip
_KAC_HEADING: Final = "## [Unreleased]"
_LINE_STARTS: Final = frozenset("#[`~< ")  # first characters of lines the parser looks at


# --- the model --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DateStyle:
    """How a heading writes its date: text before it, a format, text after it."""

    before: str
    form: str  # "{iso}", or a template such as "{B} {d}, {Y}" for dates in words
    after: str

    def render(self, date: datetime.date) -> str:
        """Write `date` in this style, separators included."""
        return self.before + _format_date(date, self.form) + self.after


KAC_DATE: Final = DateStyle(before=" - ", form="{iso}", after="")


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
    url_span: tuple[int, int]  # where the URL sits in the line
    kind: Kind  # "unreleased", "release" for a version label, else "other"
    version: Version | None

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
        return range(self.heading.index + 1, self.end)


@dataclass(frozen=True)
class Document:
    """A parsed changelog: its lines exactly as read, and what they mean.

    Sections and their headings are read when parsing; the full lists of headings and
    link references are built on first use, so promote and notes on a long file do not
    pay for the subsection headings and references of old releases they never look at.
    """

    bom: str
    lines: tuple[str, ...]
    level: int | None  # the heading level of releases (2 for ``## [1.0.0]``)
    sections: tuple[Section, ...]
    footer: int  # index where the closing block of link references starts
    strays: tuple[tuple[int, str], ...]  # unclosed code fences or HTML blocks
    eol: str
    tag_prefix: str = "v"
    raw_headings: tuple[_RawHeading, ...] = field(default=(), repr=False)
    raw_refs: tuple[_RawRef, ...] = field(default=(), repr=False)

    @cached_property
    def headings(self) -> tuple[Heading, ...]:
        """Every ATX heading outside code and HTML blocks, in line order."""
        read = {section.heading.index: section.heading for section in self.sections}
        return tuple(
            read.get(raw[0]) or _heading(raw, self.level, self.tag_prefix)
            for raw in self.raw_headings
        )

    @cached_property
    def refs(self) -> tuple[LinkRef, ...]:
        """Every link reference definition, in line order."""
        return tuple(_link_ref(raw, self.tag_prefix) for raw in self.raw_refs)

    def render(self) -> str:
        """The text of the document: identical to the input when nothing changed."""
        return self.bom + "".join(self.lines)

    @property
    def unreleased(self) -> list[Section]:
        """The Unreleased sections (a valid file has exactly one)."""
        return list(self._by_kind.get("unreleased", ()))

    @property
    def releases(self) -> list[Section]:
        """The release sections, in file order."""
        return list(self._by_kind.get("release", ()))

    @cached_property
    def _by_kind(self) -> dict[Kind, list[Section]]:
        by_kind: dict[Kind, list[Section]] = {}
        for section in self.sections:
            by_kind.setdefault(section.heading.kind, []).append(section)
        return by_kind

    @cached_property
    def _ref_index(self) -> dict[str, LinkRef]:
        index: dict[str, LinkRef] = {}
        for ref in self.refs:
            index.setdefault(_normal_label(ref.label), ref)
        return index

    def ref(self, label: str) -> LinkRef | None:
        """The first link reference with `label` (compared as Markdown does)."""
        return self._ref_index.get(_normal_label(label))

    def link(self, heading: Heading) -> str | None:
        """The URL a heading links to: inline, or through a reference with its label."""
        if heading.url is not None:
            return heading.url
        ref = self.ref(heading.label)
        return ref.url if ref is not None else None


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


# --- parsing ----------------------------------------------------------------------------


def parse(text: str, *, tag_prefix: str = "v") -> Document:
    """Parse changelog text; never fails, so that `check` can report what is wrong."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = _split_lines(text[len(bom) :])
    raw_headings: list[_RawHeading] = []
    raw_refs: list[_RawRef] = []
    strays: list[tuple[int, str]] = []
    start = 0
    while (stray := _scan(lines, start, raw_headings, raw_refs)) is not None:
        # An unclosed fence or HTML block would hide the rest of the file; read it as text.
        strays.append(stray)
        start = stray[0] + 1
    level = _release_level(raw_headings, tag_prefix)
    footer = _footer(lines, {raw[0] for raw in raw_refs})
    # Only headings at the release level or above start sections; they are read now, the
    # subsection headings (``### Added``) when someone asks for `Document.headings`.
    boundaries = (
        [_heading(raw, level, tag_prefix) for raw in raw_headings if raw[1] <= level]
        if level is not None
        else []
    )
    sections = tuple(
        Section(heading=h, end=boundaries[k + 1].index if k + 1 < len(boundaries) else footer)
        for k, h in enumerate(boundaries)
    )
    crlf = text.count("\r\n")
    eol = "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"
    return Document(
        bom=bom,
        lines=tuple(lines),
        level=level,
        sections=sections,
        footer=footer,
        strays=tuple(strays),
        eol=eol,
        tag_prefix=tag_prefix,
        raw_headings=tuple(raw_headings),
        raw_refs=tuple(raw_refs),
    )


def _split_lines(text: str) -> list[str]:
    # Only "\n" ends a line (str.splitlines would also split on \x0c, \u2028 and others).
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _content(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith("\n") else line


def _scan(
    lines: list[str], start: int, headings: list[_RawHeading], refs: list[_RawRef]
) -> tuple[int, str] | None:
    """Collect headings and references from `start`; return an unclosed opener, if any."""
    fence = ""  # the opening fence while inside a fenced code block
    closer = ""  # the end marker while inside an HTML block
    opener = (0, "")
    for index in range(start, len(lines)):
        line = lines[index]
        if fence or closer:
            if _ends_block(line, fence, closer):
                fence = closer = ""
            continue
        first = line[:1]
        if first not in _LINE_STARTS:  # most lines: entries, prose, blank lines
            continue
        stripped = line
        if first == " ":
            stripped = line.lstrip(" ")
            if len(line) - len(stripped) > 3:
                continue
            first = stripped[:1]
        if first == "#":
            heading = _atx(_content(line))
            if heading is not None:
                headings.append((index, *heading))
        elif first == "[":
            ref = _reference(_content(line))
            if ref is not None:
                refs.append((index, *ref))
        elif first in ("`", "~"):
            fence = _fence_opening(stripped)
            opener = (index, f"code fence {fence!r}")
        elif first == "<":
            closer = _html_closer(stripped)
            opener = (index, f"HTML block opened by {stripped.strip()[:20]!r}")
    return opener if fence or closer else None


def _atx(content: str) -> tuple[int, str, int] | None:
    """The level, title and title offset of an ATX heading line, or None."""
    hashes = len(content) - len(content.lstrip("#"))
    # The usual ``## Title``: one space, and no closing hashes or spaces to strip.
    if (
        0 < hashes <= 6
        and content[hashes : hashes + 1] == " "
        and content[hashes + 1 : hashes + 2] not in ("", " ", "\t")
        and content[-1] not in " \t#"
    ):
        return hashes, content[hashes + 1 :], hashes + 1
    match = _ATX.fullmatch(content)
    if match is None:
        return None
    return len(match.group(1)), match.group(2) or "", match.start(2)


def _ends_block(line: str, fence: str, closer: str) -> bool:
    """Whether `line` closes the open code fence, or the open HTML block."""
    if fence:
        stripped = line.lstrip(" ")
        end = stripped.rstrip()
        return len(line) - len(stripped) <= 3 and end == fence[0] * max(len(end), len(fence))
    return closer in line.lower()


def _fence_opening(stripped: str) -> str:
    """The fence a line opens (``` or ~~~, three or more), or ""."""
    first = stripped[:1]
    run = len(stripped) - len(stripped.lstrip(first))
    if run < 3 or (first == "`" and "`" in stripped[run:]):
        return ""
    return stripped[:run]


def _html_closer(stripped: str) -> str:
    """The end marker of the HTML block (comment, pre, script...) a line opens, or ""."""
    lower = stripped.lower()
    for start_tag, end_tag in _HTML_BLOCKS.items():
        after = lower[len(start_tag) : len(start_tag) + 1]
        if lower.startswith(start_tag) and (start_tag == "<!--" or after in " >\r\n\t"):
            return "" if end_tag in lower else end_tag
    return ""


def _reference(content: str) -> tuple[str, str, tuple[int, int]] | None:
    """The label, URL and URL span of a link reference definition line, or None."""
    match = _REFERENCE.fullmatch(content)
    if match is None:
        return None
    label, url = match.group(1), match.group(3)
    span = match.span(3)
    if url.startswith("<"):
        url, span = url[1:-1], (span[0] + 1, span[1] - 1)
    return label, url, span


def _link_ref(raw: _RawRef, tag_prefix: str) -> LinkRef:
    index, label, url, span = raw
    kind: Kind = "other"
    version = None
    if _normal_label(label) == "unreleased":
        kind = "unreleased"
    else:
        version = _label_version(label, tag_prefix)
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
    unreleased = _normal_label(label) == "unreleased"
    version = None if unreleased else _label_version(label, tag_prefix)
    looks = version is not None or _looks_like_version(label, tag_prefix)
    return _Title(label, bracketed, url, url_span, rest, unreleased, version, looks)


@functools.lru_cache(maxsize=1 << 16)  # a release's heading and its link name it alike
def _label_version(label: str, tag_prefix: str) -> Version | None:
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


def _release_level(raw: Sequence[tuple[int, int, str, int]], tag_prefix: str) -> int | None:
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


def _heading(raw: tuple[int, int, str, int], level: int | None, tag_prefix: str) -> Heading:
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
        date, date_style, problem = _read_date(title.rest)
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


def _read_date(rest: str) -> tuple[datetime.date | None, DateStyle | None, str | None]:
    """Find the date after a release heading's version: ISO 8601, or written in words."""
    if (usual := _kac_date(rest)) is not None:
        return usual
    iso = _ISO_DATE.search(rest)
    if iso is not None:
        try:
            date = datetime.date.fromisoformat(iso.group())
        except ValueError:
            return None, None, f"{iso.group()!r} is not a valid date"
        return date, _date_style(rest, iso.start(), iso.end(), "{iso}"), None
    for match in _WORDS_DATE.finditer(rest):
        found = _words_date(match)
        if found is not None:
            date, form = found
            return date, _date_style(rest, match.start(), match.end(), form), None
    if any(char.isdigit() for char in rest):
        shown = rest.strip(" -\u2013\u2014()[]")
        return None, None, f"{shown!r} is not an ISO 8601 date (YYYY-MM-DD)"
    return None, None, None


def _kac_date(rest: str) -> tuple[datetime.date | None, DateStyle | None, str | None] | None:
    """Keep a Changelog's own `` - 2024-01-31``, by far the most common, read without a regex."""
    if len(rest) != 13 or not rest.startswith(" - ") or not rest.isascii():
        return None
    year, month, day = rest[3:7], rest[8:10], rest[11:13]
    if rest[7] != "-" or rest[10] != "-" or not (year + month + day).isdigit():
        return None
    try:
        return datetime.date(int(year), int(month), int(day)), KAC_DATE, None
    except ValueError:
        return None, None, f"{rest[3:]!r} is not a valid date"


def _words_date(match: re.Match[str]) -> tuple[datetime.date, str] | None:
    suffix = "2" if match.group("m") is None else ""
    month_name = match.group("m" + suffix)
    month, short = _month(month_name)
    if month is None:
        return None
    try:
        date = datetime.date(int(match.group("y" + suffix)), month, int(match.group("d" + suffix)))
    except ValueError:
        return None
    day = match.group("d" + suffix)
    marks = {
        "m" + suffix: "{b}" if short else "{B}",
        "d" + suffix: "{dd}" if len(day) == 2 and day.startswith("0") else "{d}",
        "th" + suffix: "{th}",
        "y" + suffix: "{Y}",
    }
    spans = sorted((match.span(group), mark) for group, mark in marks.items() if match.group(group))
    form, position = "", match.start()
    for (start, end), mark in spans:
        form += match.string[position:start] + mark
        position = end
    return date, form + match.string[position : match.end()]


def _month(name: str) -> tuple[int | None, bool]:
    lowered = name.casefold()
    for number, month in enumerate(_MONTHS, start=1):
        if lowered == month.casefold():
            return number, False
        if lowered in (month[:3].casefold(), month[:4].casefold()) and len(lowered) < len(month):
            return number, True
    return None, False


def _date_style(rest: str, start: int, end: int, form: str) -> DateStyle:
    after = rest[end:].split(" ", 1)[0] if rest[end : end + 1] not in ("", " ") else ""
    return DateStyle(before=rest[:start], form=form, after=after)


def _format_date(date: datetime.date, form: str) -> str:
    if form == "{iso}":
        return date.isoformat()
    ordinal = (
        "th" if 10 <= date.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(date.day % 10, "th")
    )
    month = _MONTHS[date.month - 1]
    return (
        form.replace("{B}", month)
        .replace("{b}", month[:3])
        .replace("{dd}", f"{date.day:02d}")
        .replace("{d}", str(date.day))
        .replace("{th}", ordinal)
        .replace("{Y}", str(date.year))
    )


def _footer(lines: list[str], ref_lines: set[int]) -> int:
    """Where the closing run of link references (with blanks and comments) starts."""
    index = len(lines)
    first = len(lines)
    has_ref = False
    while index > 0:
        stripped = lines[index - 1].strip()
        if index - 1 in ref_lines:
            has_ref = True
        elif stripped and not (stripped.startswith("<!--") and stripped.endswith("-->")):
            break
        index -= 1
        if stripped:
            first = index
    return first if has_ref else len(lines)


def _normal_label(label: str) -> str:
    return " ".join(label.split()).casefold()


# --- reading a document -----------------------------------------------------------------


def _only_unreleased(doc: Document) -> Section:
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
    msg = (
        f"the changelog has no Unreleased section; add a '{'#' * first.level} [Unreleased]' "
        f"heading above line {first.line} with the changes under it, or run "
        "'releasekit changelog add TEXT', which creates it"
    )
    raise ChangelogError(msg)


def _entry_lines(doc: Document, section: Section) -> list[int]:
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
        if stripped and index not in skip:
            found.append(index)
    return found


def has_unreleased_entries(text: str) -> bool:
    """Whether the changelog has an Unreleased section with at least one entry."""
    doc = parse(text)
    found = doc.unreleased
    return len(found) == 1 and bool(_entry_lines(doc, found[0]))


def notes(text: str, version: Version, *, tag_prefix: str = "v") -> str:
    """Return the body of `version`'s section, without surrounding blank lines or endings."""
    doc = parse(text, tag_prefix=tag_prefix)
    for section in doc.releases:
        if section.heading.version == version:
            return _notes(doc.lines[section.body.start : section.body.stop])
    known = ", ".join(str(section.heading.version) for section in doc.releases[:5])
    listing = f"; the latest are: {known}" if known else "; it has no release sections"
    msg = f"the changelog has no section for version {str(version)!r}{listing}"
    raise ChangelogError(msg)


def _notes(body: Sequence[str]) -> str:
    """A section's body without its surrounding blank lines, joined without line endings."""
    first, last = 0, len(body)
    while first < last and not body[first].strip():
        first += 1
    while last > first and not body[last - 1].strip():
        last -= 1
    return "\n".join(_content(line) for line in body[first:last])


# --- promote ----------------------------------------------------------------------------


def promote(
    text: str,
    version: Version,
    *,
    date: datetime.date,
    tag_prefix: str = "v",
    allow_empty: bool = False,
    remote_url: str | None = None,
) -> PromoteResult:
    """Move the Unreleased entries under a new ``## [VERSION] - DATE`` section.

    Only the Unreleased heading region, the new heading and the link references change;
    every other line keeps its exact bytes. Refusals raise ChangelogError and change nothing.
    """
    doc = parse(text, tag_prefix=tag_prefix)
    unreleased = _only_unreleased(doc)
    for section in doc.releases:
        if section.heading.version == version:
            msg = (
                f"the changelog already has a section for {str(version)!r} (line "
                f"{section.heading.line}); promote a new version or remove that section"
            )
            raise ChangelogError(msg)
    if not allow_empty and not _entry_lines(doc, unreleased):
        msg = (
            f"the Unreleased section (line {unreleased.heading.line}) has no entries; add "
            "some with 'releasekit changelog add TEXT', or pass --allow-empty"
        )
        raise ChangelogError(msg)
    warnings: list[str] = []
    released = [s.heading.version for s in doc.releases if s.heading.version is not None]
    if released and version < max(released):
        warnings.append(
            f"{version} is lower than {max(released)}, the highest release in the changelog; "
            "its section goes on top all the same"
        )
    style = _heading_style(doc, unreleased)
    links = _plan_links(
        doc, unreleased, version, tag_prefix=tag_prefix, remote_url=remote_url, style=style
    )
    warnings.extend(links.warnings)
    label = f"{style.prefix}{version}"
    heading = "#" * unreleased.heading.level + " " + (f"[{label}]" if style.bracketed else label)
    if style.inline and links.version_url is not None:
        heading += f"({links.version_url})"
    heading += style.date.render(date)

    eol = doc.eol
    edits: dict[int, list[str]] = {}  # line index -> the lines that replace it
    ref = links.unreleased_ref
    if ref is not None and links.unreleased_url is not None:
        edits[ref.index] = [_replace_span(doc.lines[ref.index], ref.url_span, links.unreleased_url)]
    if links.new_ref is not None:
        index, before, line = links.new_ref
        current = edits.get(index, [doc.lines[index]])
        edits[index] = [line + eol, *current] if before else [*current, line + eol]
    head = unreleased.heading
    head_line = doc.lines[head.index]
    if head.url_span is not None and links.unreleased_url is not None:
        head_line = _replace_span(head_line, head.url_span, links.unreleased_url)
    body = [line for index in unreleased.body for line in edits.get(index, [doc.lines[index]])]
    keep, move = _split_unreleased_body(body)
    block = [head_line, *keep]
    # Space the new heading as the body was spaced from the Unreleased heading.
    if (keep and keep[-1].strip()) or (not keep and (not move or not move[0].strip())):
        block.append(eol)
    block.append(heading + eol)
    block.extend(move)
    edits[head.index] = block
    for index in unreleased.body:
        edits[index] = []
    lines = _edited_lines(doc, edits)
    # The new section's body is the moved lines, as written (a last line may gain an eol).
    start = head.index + sum(len(edits[index]) - 1 for index in edits if index < head.index)
    start += len(block) - len(move)
    body = lines[start : start + len(move)]
    return PromoteResult(text=doc.bom + "".join(lines), warnings=warnings, notes=_notes(body))


def _split_unreleased_body(body: list[str]) -> tuple[list[str], list[str]]:
    """Split the body: leading HTML comments stay under Unreleased, the rest moves."""
    keep_until = 0
    in_comment = False
    for position, line in enumerate(body):
        stripped = line.strip()
        if in_comment or stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            keep_until = position + 1
        elif stripped:
            break
    return body[:keep_until], body[keep_until:]


def _apply(doc: Document, edits: Mapping[int, list[str]]) -> str:
    """The document with each edited line replaced by its lines; the rest copied as is."""
    return doc.bom + "".join(_edited_lines(doc, edits))


def _edited_lines(doc: Document, edits: Mapping[int, list[str]]) -> list[str]:
    """The lines of `_apply`'s text."""
    out: list[str] = []
    previous = 0
    for index in sorted(edits):
        out.extend(doc.lines[previous:index])
        out.extend(edits[index])
        previous = index + 1
    out.extend(doc.lines[previous:])
    if doc.lines and not doc.lines[-1].endswith("\n"):
        # The line that ended the file without a newline may now be followed by others.
        for position in range(len(out) - 1):
            if not out[position].endswith("\n"):
                out[position] += doc.eol
        out[-1] = _content(out[-1])
    return out


def _replace_span(line: str, span: tuple[int, int], new: str) -> str:
    return line[: span[0]] + new + line[span[1] :]


@dataclass(frozen=True)
class _Style:
    bracketed: bool
    prefix: str  # text before the version in the label, e.g. "v" in ``## [v1.2.0]``
    inline: bool
    date: DateStyle


def _heading_style(doc: Document, unreleased: Section) -> _Style:
    """The file's own release heading style where all its headings agree, else Keep a Changelog."""
    headings = [section.heading for section in doc.releases]
    if not headings:
        head = unreleased.heading
        return _Style(
            bracketed=head.bracketed, prefix="", inline=head.url is not None, date=KAC_DATE
        )
    bracketed = {h.bracketed for h in headings}
    prefixes = {
        h.label[: next((i for i, c in enumerate(h.label) if c.isdigit()), 0)] for h in headings
    }
    inline = {h.url is not None for h in headings}
    dates = {h.date_style for h in headings if h.date_style is not None}
    return _Style(
        bracketed=bracketed.pop() if len(bracketed) == 1 else True,
        prefix=prefixes.pop() if len(prefixes) == 1 else "",
        inline=inline == {True},
        date=dates.pop() if len(dates) == 1 else KAC_DATE,
    )


# --- links ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compare:
    """A compare URL split around its two revisions: ``prefix A sep B tail``."""

    prefix: str
    old: str
    sep: str
    new: str
    tail: str

    def url(self, old: str, new: str) -> str:
        return f"{self.prefix}{old}{self.sep}{new}{self.tail}"


@dataclass(frozen=True)
class _TagUrl:
    """A URL that ends in a tag name: ``prefix TAG tail``."""

    prefix: str
    tag: str
    tail: str

    def url(self, tag: str) -> str:
        return f"{self.prefix}{tag}{self.tail}"


def _query_start(url: str, start: int) -> int:
    ends = [pos for pos in (url.find("?", start), url.find("#", start)) if pos >= 0]
    return min(ends, default=len(url))


def _split_compare(url: str) -> _Compare | None:
    at = url.find("/compare/")
    if at < 0:
        return None
    start = at + len("/compare/")
    end = _query_start(url, start)
    middle = url[start:end]
    sep = "..." if "..." in middle else ".." if ".." in middle else ""
    old, _, new = middle.partition(sep) if sep else ("", "", "")
    if not old or not new:
        return None
    return _Compare(prefix=url[:start], old=old, sep=sep, new=new, tail=url[end:])


def _split_tag(url: str) -> _TagUrl | None:
    end = _query_start(url, url.find("://") + 3 if "://" in url else 0)
    prefix, slash, tag = url[:end].rpartition("/")
    if not slash or not tag or "/compare/" in url:
        return None
    return _TagUrl(prefix=prefix + "/", tag=tag, tail=url[end:])


def _tag_names(tag: str, version: Version, tag_prefix: str) -> bool:
    """Whether the tag (or revision) `tag` in a URL names `version`."""
    return _label_version(tag, tag_prefix) == version


def _forge_urls(remote_url: str | None) -> tuple[_Compare, _TagUrl] | None:
    """Compare and tag URL shapes for a GitHub or GitLab remote, else None."""
    if not remote_url:
        return None
    url = remote_url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    elif ":" in url and not url.startswith("/"):
        location, _, path = url.partition(":")
        host = location.rpartition("@")[2]
    else:
        return None
    host = host.lower()
    path = path.strip("/").removesuffix(".git").strip("/")
    if "/" not in path:
        return None
    base = f"https://{host}/{path}"
    if "github" in host:
        return _Compare(f"{base}/compare/", "", "...", "", ""), _TagUrl(
            f"{base}/releases/tag/", "", ""
        )
    if "gitlab" in host:
        return _Compare(f"{base}/-/compare/", "", "...", "", ""), _TagUrl(f"{base}/-/tags/", "", "")
    return None


@dataclass(frozen=True)
class _Links:
    version_url: str | None = None
    unreleased_url: str | None = None
    unreleased_ref: LinkRef | None = None
    new_ref: tuple[int, bool, str] | None = None  # (line index, insert before it, text)
    warnings: list[str] = field(default_factory=list)


def _release_links(doc: Document) -> dict[Version, str]:
    """The URL each release links to (inline or by reference), newest first as the file has them."""
    links: dict[Version, str] = {}
    for section in doc.releases:
        url = doc.link(section.heading)
        if section.heading.version is not None and url is not None:
            links.setdefault(section.heading.version, url)
    for ref in doc.refs:
        if ref.kind == "release" and ref.version is not None:
            links.setdefault(ref.version, ref.url)
    order = list(links)
    if len(order) > 1 and order[0] < order[-1]:  # an oldest-first file
        return {version: links[version] for version in reversed(order)}
    return links


def _link_shape(url: str, version: Version, tag_prefix: str) -> _Compare | _TagUrl | None:
    """The shape of a release's link, if its last revision names that release."""
    as_compare = _split_compare(url)
    if as_compare is not None:
        return as_compare if _tag_names(as_compare.new, version, tag_prefix) else None
    as_tag = _split_tag(url)
    return as_tag if as_tag is not None and _tag_names(as_tag.tag, version, tag_prefix) else None


def _compare_shape(
    links: Mapping[Version, str], unreleased: _Compare | None, tag_prefix: str
) -> tuple[_Compare | None, bool]:
    """The newest compare URL shape, and whether the file links releases to tags instead."""
    compare = unreleased
    newest: list[_Compare | _TagUrl | None] = []
    for version, url in links.items():  # newest first; stops at the first comparison
        shape = _link_shape(url, version, tag_prefix)
        if len(newest) < 2:
            newest.append(shape)
        if isinstance(shape, _Compare):
            compare = compare or shape
            break
    # Keep a Changelog links the first release to its tag and later ones to a comparison,
    # so one tag link beside a compare-style Unreleased link does not make a tag-style file.
    tags = [isinstance(shape, _TagUrl) for shape in newest]
    lone_tag = len(tags) == 1 and unreleased is None
    return compare, tags[:1] == [True] and (tags[1:] == [True] or lone_tag)


def _tag_shape(links: Mapping[Version, str], tag_prefix: str) -> _TagUrl | None:
    """The newest link to a tag (``.../releases/tag/v1.0.0``), if any."""
    for version, url in links.items():
        shape = _link_shape(url, version, tag_prefix)
        if isinstance(shape, _TagUrl):
            return shape
    return None


def _plan_links(
    doc: Document,
    unreleased: Section,
    version: Version,
    *,
    tag_prefix: str,
    remote_url: str | None,
    style: _Style,
) -> _Links:
    """Work out the new version's URL, the repointed Unreleased URL, and the new reference."""
    head = unreleased.heading
    unreleased_ref = doc.ref(head.label) or doc.ref("Unreleased")
    version_refs = [ref for ref in doc.refs if ref.kind == "release"]
    links = _release_links(doc)
    if unreleased_ref is None and head.url is None and not links:
        return _Links()  # the file uses no links: add none
    new_tag = tag_for_version(version, prefix=tag_prefix)
    unreleased_url = head.url or (unreleased_ref.url if unreleased_ref is not None else None)
    unreleased_compare = _split_compare(unreleased_url) if unreleased_url else None
    forge = _forge_urls(remote_url)
    compare, prefers_tags = _compare_shape(links, unreleased_compare, tag_prefix)
    compare = compare or (forge[0] if forge is not None else None)

    released = {s.heading.version for s in doc.releases if s.heading.version is not None}
    previous = max((v for v in released | set(links) if v < version), default=None)
    previous_tag = _previous_tag(previous, links, tag_prefix)
    if previous_tag is None and unreleased_compare is not None:
        previous_tag = unreleased_compare.old  # e.g. the first commit
    version_url = None
    if compare is not None and previous_tag is not None and not prefers_tags:
        version_url = compare.url(previous_tag, new_tag)
    elif (tag_url := _tag_shape(links, tag_prefix) or (forge[1] if forge else None)) is not None:
        version_url = tag_url.url(new_tag)
    new_unreleased = None
    if unreleased_compare is not None:
        new_unreleased = unreleased_compare.url(new_tag, unreleased_compare.new)
    elif unreleased_url is not None and compare is not None:
        new_unreleased = compare.url(new_tag, "HEAD")
    label = f"{style.prefix}{version}"
    warnings = []
    if unreleased_url is not None and new_unreleased is None:
        warnings.append(
            f"cannot tell how to link the Unreleased changes since {new_tag} (no compare link "
            "in the changelog, no GitHub or GitLab remote); update the Unreleased link by hand"
        )
    new_ref = None
    if version_url is None:
        warnings.append(
            f"cannot tell the link URL for {label} (no release links to copy, no GitHub or "
            f"GitLab remote); add a [{label}] link by hand"
        )
    elif doc.ref(label) is not None:
        warnings.append(f"a [{label}] link reference already exists; it was left as it is")
    elif version_refs or (unreleased_ref is not None and style.bracketed and not style.inline):
        where, before, start = _new_reference(
            doc, version_refs, unreleased_ref, version=version, label=label
        )
        new_ref = (where, before, start + version_url)
    return _Links(
        version_url=version_url,
        unreleased_url=new_unreleased,
        unreleased_ref=unreleased_ref,
        new_ref=new_ref,
        warnings=warnings,
    )


def _previous_tag(
    previous: Version | None, links: Mapping[Version, str], tag_prefix: str
) -> str | None:
    """The tag of the release before the new one, as the file's links spell it."""
    if previous is None:
        return None
    url = links.get(previous)
    if url is not None:
        as_compare = _split_compare(url)
        if as_compare is not None and _tag_names(as_compare.new, previous, tag_prefix):
            return as_compare.new
        as_tag = _split_tag(url)
        if as_tag is not None and _tag_names(as_tag.tag, previous, tag_prefix):
            return as_tag.tag
    return tag_for_version(previous, prefix=tag_prefix)


def _new_reference(
    doc: Document,
    version_refs: list[LinkRef],
    unreleased_ref: LinkRef | None,
    *,
    version: Version,
    label: str,
) -> tuple[int, bool, str]:
    """Where the new reference goes (in the file's order) and its text up to the URL."""
    model = version_refs[0] if version_refs else unreleased_ref
    assert model is not None  # noqa: S101 - the caller checked that one exists
    content = _content(doc.lines[model.index])
    match = _REFERENCE.fullmatch(content)
    gap = match.group(2) if match is not None and match.group(2) else " "
    text = f"{content[: content.index('[')]}[{label}]:{gap}"
    if not version_refs:
        return model.index, False, text
    versions = [ref.version for ref in version_refs if ref.version is not None]
    if len(versions) > 1:
        ascending = versions[0] < versions[-1]
    else:  # one release reference: the Unreleased one below it means oldest first
        ascending = unreleased_ref is not None and unreleased_ref.index > model.index
    lower = [ref for ref in version_refs if ref.version is not None and ref.version < version]
    if ascending:
        return (lower[-1].index, False, text) if lower else (version_refs[0].index, True, text)
    return (lower[0].index, True, text) if lower else (version_refs[-1].index, False, text)


# --- check ------------------------------------------------------------------------------


def check(text: str, *, tag_prefix: str = "v") -> list[Finding]:
    """Lint a changelog: structure, versions, order, dates and links, with line numbers."""
    doc = parse(text, tag_prefix=tag_prefix)
    findings: list[Finding] = []

    def report(line: int, severity: Severity, message: str) -> None:
        findings.append(Finding(line=line, severity=severity, message=message))

    for index, what in doc.strays:
        report(index + 1, "error", f"{what} is never closed; close it (it was read as text)")
    unreleased = doc.unreleased
    releases = doc.releases
    if not unreleased and not releases:
        report(
            1, "error", "not a Keep a Changelog file: no '## [Unreleased]' and no release headings"
        )
        return findings
    if not unreleased:
        first = releases[0].heading
        report(
            first.line,
            "error",
            f"no Unreleased section; add '{'#' * first.level} [Unreleased]' above this line",
        )
    for extra in unreleased[1:]:
        report(
            extra.heading.line,
            "error",
            f"a second Unreleased section (the first is at line {unreleased[0].heading.line})",
        )
    if unreleased and releases and releases[0].heading.index < unreleased[0].heading.index:
        report(
            unreleased[0].heading.line,
            "warning",
            "the Unreleased section should come before the releases",
        )
    for section in doc.sections:
        heading = section.heading
        if heading.problem is not None:
            report(heading.line, "error", heading.problem)
        elif heading.date_style is not None and heading.date_style.form != "{iso}":
            report(
                heading.line,
                "warning",
                "the date is not ISO 8601 (YYYY-MM-DD), which Keep a Changelog uses",
            )
    _check_versions(releases, report)
    _check_links(doc, report, tag_prefix)
    findings.sort(key=lambda finding: finding.line)
    return findings


def _check_versions(releases: list[Section], report: _Report) -> None:
    seen: dict[Version, int] = {}
    listed = [(s.heading, s.heading.version) for s in releases if s.heading.version is not None]
    for heading, version in listed:
        if version in seen:
            report(
                heading.line,
                "error",
                f"a second section for {version} (first: line {seen[version]})",
            )
        else:
            seen[version] = heading.line
    pairs = list(itertools.pairwise(listed))
    rising = [(above, below) for above, below in pairs if below[1] > above[1]]
    if len(pairs) > 1 and len(rising) == len(pairs):
        report(
            listed[0][0].line,
            "warning",
            "the releases are in ascending order; Keep a Changelog lists the latest first",
        )
        return
    for (above, version_above), (below, version_below) in rising:
        report(
            below.line,
            "warning",
            f"{version_below} is listed below {version_above} (line {above.line}); "
            "releases go in descending order",
        )


def _check_links(doc: Document, report: _Report, tag_prefix: str) -> None:
    seen: dict[str, int] = {}
    for ref in doc.refs:
        key = _normal_label(ref.label)
        if key in seen:
            report(
                ref.line,
                "warning",
                f"a second [{ref.label}] link reference (line {seen[key]} wins)",
            )
        else:
            seen[key] = ref.line
    changelog_refs = [ref for ref in doc.refs if ref.kind != "other"]
    if not changelog_refs:
        return
    headings = [s.heading for s in doc.sections if s.kind != "other"]
    labels = {_normal_label(h.label) for h in headings}
    for heading in headings:
        if heading.bracketed and heading.url is None and _normal_label(heading.label) not in seen:
            report(
                heading.line,
                "error",
                f"[{heading.label}] has no link reference; add '[{heading.label}]: URL'",
            )
    releases = {h.version for h in headings if h.version is not None}
    for ref in changelog_refs:
        if (
            ref.kind == "release"
            and _normal_label(ref.label) not in labels
            and ref.version not in releases
        ):
            report(ref.line, "warning", f"the link reference [{ref.label}] matches no section")
        named = _url_version(ref.url, tag_prefix)
        if (
            ref.kind == "release"
            and named is not None
            and ref.version is not None
            and named != ref.version
        ):
            report(ref.line, "error", f"[{ref.label}] links to {named}, not {ref.version}")
    latest = max(releases, default=None)
    for section in doc.unreleased[:1]:
        head = section.heading
        url = doc.link(head)
        compare = _split_compare(url) if url else None
        if latest is None or compare is None:
            continue
        if not _tag_names(compare.old, latest, tag_prefix):
            where = doc.ref(head.label) if head.url is None else None
            report(
                head.line if where is None else where.line,
                "warning",
                f"the Unreleased link compares from {compare.old!r}, "
                f"but the latest release is {latest}",
            )


def _url_version(url: str, tag_prefix: str) -> Version | None:
    """The version whose changes a release link shows, if the URL says."""
    compare = _split_compare(url)
    if compare is not None:
        return _label_version(compare.new, tag_prefix)
    tag = _split_tag(url)
    return _label_version(tag.tag, tag_prefix) if tag is not None else None


# --- add --------------------------------------------------------------------------------


def add(
    text: str, entry: str, *, kind: Category | None = None, tag_prefix: str = "v"
) -> EditResult:
    """Append an entry under Unreleased, in its category subsection (``### Added``...).

    Creates the Unreleased heading and the subsection (in Keep a Changelog's order) when
    missing. In a file that uses no subsections at all, the entry goes in the plain list.
    """
    if kind is not None and kind not in CATEGORIES:
        msg = f"--type {kind!r} is not one of: {', '.join(CATEGORIES)}"
        raise UsageError(msg)
    lines = [line.rstrip() for line in entry.strip().splitlines()]
    if not lines:
        msg = "the entry is empty; give the text of the change"
        raise UsageError(msg)
    doc = parse(text, tag_prefix=tag_prefix)
    if not doc.unreleased:
        doc = parse(with_unreleased(doc), tag_prefix=tag_prefix)
    unreleased = _only_unreleased(doc)
    bullet = _bullet(doc)
    item = [f"{bullet} {lines[0]}"] + [
        f"{' ' * (len(bullet) + 1)}{line}" if line else "" for line in lines[1:]
    ]
    warnings: list[str] = []
    sub_level = unreleased.heading.level + 1
    subsections = [
        h
        for h in doc.headings
        if h.level == sub_level and unreleased.heading.index < h.index < unreleased.end
    ]
    if not subsections and _is_flat(doc, sub_level):
        if kind is not None:
            warnings.append(
                "the changelog uses no category subsections; the entry went in without "
                f"'### {kind.capitalize()}'"
            )
        after = _last_content(doc, unreleased.heading.index, unreleased.end)
        lead = [""] if after == unreleased.heading.index and _blank_after(doc, after) else []
        return EditResult(_insert(doc, after, [*lead, *item], spaced=bool(lead)), warnings)
    chosen: Category = kind or "changed"
    gap_after_heading = _blank_after_subheadings(doc, sub_level)
    for position, sub in enumerate(subsections):
        if _category(sub.title) == chosen:
            end = (
                subsections[position + 1].index
                if position + 1 < len(subsections)
                else unreleased.end
            )
            after = _last_content(doc, sub.index, end)
            lead = [""] if after == sub.index and gap_after_heading else []
            return EditResult(_insert(doc, after, [*lead, *item], spaced=bool(lead)), warnings)
    title = "#" * sub_level + " " + chosen.capitalize()
    block = [title, *([""] if gap_after_heading else []), *item]
    rank = CATEGORIES.index(chosen)
    for sub in subsections:
        other = _category(sub.title)
        if other is not None and CATEGORIES.index(other) > rank:
            return EditResult(_insert(doc, sub.index - 1, [*block, ""]), warnings)
    after = _last_content(doc, unreleased.heading.index, unreleased.end)
    return EditResult(_insert(doc, after, ["", *block]), warnings)


def with_unreleased(doc: Document) -> str:
    """The text with an Unreleased heading added above the first release (or at the end)."""
    level = doc.level or 2
    releases = doc.releases
    bracketed = all(s.heading.bracketed for s in releases)
    heading = "#" * level + (" [Unreleased]" if bracketed else " Unreleased")
    eol = doc.eol
    if releases:
        edits = {
            releases[0].heading.index: [heading + eol, eol, doc.lines[releases[0].heading.index]]
        }
        return _apply(doc, edits)
    if not doc.lines:
        return doc.bom + f"# Changelog{eol}{eol}{heading}{eol}"
    after = _last_content(doc, -1, doc.footer)
    return _insert(doc, after, ["", heading, *([] if _blank_after(doc, after) else [""])])


def _insert(doc: Document, after: int, new: list[str], *, spaced: bool = True) -> str:
    """Insert `new` lines (no endings) after line `after`; `spaced`: not right above a heading."""
    eol = doc.eol
    block = [line + eol for line in new]
    following = doc.lines[after + 1] if after + 1 < len(doc.lines) else ""
    if spaced and new[-1] and following.lstrip(" ").startswith("#"):
        block.append(eol)
    if after < 0:
        return doc.bom + "".join(block) + "".join(doc.lines)
    return _apply(doc, {after: [doc.lines[after], *block]})


def _blank_after(doc: Document, index: int) -> bool:
    return index + 1 >= len(doc.lines) or not doc.lines[index + 1].strip()


def _last_content(doc: Document, start: int, end: int) -> int:
    """The last non-blank line in (start, end), or `start` when there is none."""
    for index in range(min(end, len(doc.lines)) - 1, start, -1):
        if doc.lines[index].strip():
            return index
    return start


def _category(title: str) -> Category | None:
    name = title.strip().rstrip(":").strip().casefold()
    return next((category for category in CATEGORIES if category == name), None)


def _is_flat(doc: Document, sub_level: int) -> bool:
    """Whether releases list entries without category subsections (and there are releases)."""
    if not doc.releases or doc.level is None:
        return False
    in_release = False
    for heading in doc.headings:
        if heading.level <= doc.level:
            in_release = heading.kind == "release"
        elif heading.level == sub_level and in_release:
            return False
    return True


def _blank_after_subheadings(doc: Document, sub_level: int) -> bool:
    for heading in doc.headings:
        if heading.level == sub_level and heading.index + 1 < len(doc.lines):
            return not doc.lines[heading.index + 1].strip()
    return True


def _bullet(doc: Document) -> str:
    for section in doc.sections:
        if section.kind == "other":
            continue
        for index in section.body:
            line = doc.lines[index]
            if line[:2] in ("- ", "* ", "+ "):
                return line[0]
    return "-"
