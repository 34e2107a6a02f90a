"""The Markdown reader: ATX headings and link references, outside code and HTML blocks."""

from __future__ import annotations

import re
from typing import Final

from releasekit.changelog.document import Document
from releasekit.changelog.model import RawHeading, RawRef, Section, line_text
from releasekit.changelog.rst import RST_ADORNMENTS, SETEXT_ADORNMENTS, parse_titles
from releasekit.changelog.titles import pallets_unreleased, read_heading, release_level

REFERENCE: Final = re.compile(r" {0,3}\[((?:[^\[\]\\]|\\.)+)\]:([ \t]*)(<[^<>]*>|\S+)(.*)")
_HTML_BLOCKS: Final = {"<!--": "-->", "<pre": "</pre>", "<script": "</script>",
                       "<style": "</style>", "<textarea": "</textarea>"}  # fmt: skip
_LINE_STARTS: Final = frozenset("#[`~< ")  # first characters of lines the parser looks at


# --- parsing ----------------------------------------------------------------------------


def parse(text: str, *, tag_prefix: str = "v", fmt: str | None = None) -> Document:
    """Parse changelog text; never fails, so that `check` can report what is wrong.

    `fmt` "rst" reads reStructuredText titles; by default the text is read as Markdown,
    and as underlined (setext) Markdown titles when no ``#`` heading names a release.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = split_lines(text[len(bom) :])
    crlf = text.count("\r\n")
    eol = "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"
    if fmt == "rst":
        rst = parse_titles(bom=bom, lines=lines, eol=eol, tag_prefix=tag_prefix)
        return rst or Document(bom, tuple(lines), None, (), len(lines), (), eol, tag_prefix)
    raw_headings: list[RawHeading] = []
    raw_refs: list[RawRef] = []
    strays: list[tuple[int, str]] = []
    start = 0
    while (stray := _scan(lines, start, raw_headings, raw_refs)) is not None:
        # An unclosed fence or HTML block would hide the rest of the file; read it as text.
        strays.append(stray)
        start = stray[0] + 1
    level = release_level(raw_headings, tag_prefix)
    if level is None:
        for chars in (SETEXT_ADORNMENTS, RST_ADORNMENTS):
            titled = parse_titles(bom=bom, lines=lines, eol=eol, tag_prefix=tag_prefix, chars=chars)
            if titled is not None:
                return titled
    footer = _footer(lines, {raw[0] for raw in raw_refs} | {raw[4] for raw in raw_refs})
    # Only headings at the release level or above start sections; they are read now, the
    # subsection headings (``### Added``) when someone asks for `Document.headings`.
    boundaries = (
        [read_heading(raw, level, tag_prefix) for raw in raw_headings if raw[1] <= level]
        if level is not None
        else []
    )
    boundaries = pallets_unreleased(boundaries, lines, footer)
    sections = tuple(
        Section(heading=h, end=boundaries[k + 1].start if k + 1 < len(boundaries) else footer)
        for k, h in enumerate(boundaries)
    )
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


def split_lines(text: str) -> list[str]:
    # Only "\n" ends a line (str.splitlines would also split on \x0c, \u2028 and others).
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _scan(
    lines: list[str], start: int, headings: list[RawHeading], refs: list[RawRef]
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
            heading = _atx(line_text(line))
            if heading is not None:
                headings.append((index, *heading))
        elif first == "[":
            ref = raw_reference(lines, index)
            if ref is not None:
                refs.append(ref)
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
    # The general case, read by hand in one pass (a regex with a lazy group and optional
    # closing hashes took minutes on a 100 KB line of spaces).
    stripped = content.lstrip(" ")
    indent = len(content) - len(stripped)
    hashes = len(stripped) - len(stripped.lstrip("#"))
    if indent > 3 or not 0 < hashes <= 6:
        return None
    rest = stripped[hashes:]
    if rest and rest[0] not in " \t":
        return None
    body = rest.lstrip(" \t")
    start = indent + hashes + len(rest) - len(body)
    body = body.rstrip(" \t")
    unclosed = body.rstrip("#")
    if not unclosed:
        body = ""  # only a closing sequence: an empty heading
    elif unclosed[-1] in " \t":
        body = unclosed.rstrip(" \t")
    return hashes, body, start


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
    match = REFERENCE.fullmatch(content)
    if match is None:
        return None
    label, url = match.group(1), match.group(3)
    span = match.span(3)
    if url.startswith("<"):
        url, span = url[1:-1], (span[0] + 1, span[1] - 1)
    return label, url, span


def raw_reference(lines: list[str], index: int) -> RawRef | None:
    """The link reference starting on line `index` (its URL may be on the next), or None."""
    ref = _reference(line_text(lines[index]))
    if ref is not None:
        return (index, *ref, index)
    return _split_reference(lines, index) if index + 1 < len(lines) else None


def _split_reference(lines: list[str], index: int) -> RawRef | None:
    """A reference whose URL is on the next line: ``[1.0.0]:`` then ``  https://...``."""
    content = line_text(lines[index]).rstrip(" \t")
    if not content.endswith("]:"):
        return None
    found = _reference(content + " x")
    following = line_text(lines[index + 1])
    url = following.strip(" \t")
    if found is None or not url or " " in url or url.startswith(("[", "#")):
        return None
    start = len(following) - len(following.lstrip(" \t"))
    span = (start, start + len(url))
    if url.startswith("<") and url.endswith(">"):
        url, span = url[1:-1], (span[0] + 1, span[1] - 1)
    return index, found[0], url, span, index + 1


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
