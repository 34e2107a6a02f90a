"""Edits: promote the Unreleased section, add an entry, add an Unreleased heading."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from packaging.version import Version

from releasekit.changelog.dates import format_date, read_date
from releasekit.changelog.document import Document
from releasekit.changelog.links import plan_links, unreleased_link
from releasekit.changelog.markdown import parse
from releasekit.changelog.model import (
    CATEGORIES,
    Category,
    EditResult,
    PromoteResult,
    Section,
    line_text,
)
from releasekit.changelog.partial import parse_for_edit, refuse_buried_section
from releasekit.changelog.query import body_text, entry_lines, only_unreleased
from releasekit.changelog.style import WINDOW, heading_style, newest_releases
from releasekit.errors import ChangelogError, UsageError

# --- promote ----------------------------------------------------------------------------


def promote(
    text: str,
    version: Version,
    *,
    date: datetime.date,
    tag_prefix: str = "v",
    fmt: str | None = None,
    allow_empty: bool = False,
    remote_url: str | None = None,
    document: Document | None = None,
) -> PromoteResult:
    """Move the Unreleased entries under a new ``## [VERSION] - DATE`` section.

    Only the Unreleased heading region, the new heading and the link references change;
    every other line keeps its exact bytes. Refusals raise ChangelogError and change nothing.
    `document` is `text` already read in full (a release's gate read it): not read again.
    """
    doc = document if document is not None else parse_for_edit(text, tag_prefix=tag_prefix, fmt=fmt)
    unreleased = only_unreleased(doc)
    refuse_buried_section(doc, version)
    for section in doc.releases:
        if section.heading.version == version:
            msg = (
                f"the changelog already has a section for {str(version)!r} (line "
                f"{section.heading.line}); promote a new version or remove that section"
            )
            raise ChangelogError(msg)
    if not allow_empty and not entry_lines(doc, unreleased):
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
    if unreleased.heading.status == unreleased.heading.index:
        return _promote_planned(doc, unreleased, version, date, warnings)
    if unreleased.heading.status is not None:
        return _promote_pallets(doc, unreleased, version, date, warnings)
    style = heading_style(doc, unreleased)
    links = plan_links(
        doc, unreleased, version, tag_prefix=tag_prefix, remote_url=remote_url, style=style
    )
    warnings.extend(links.warnings)
    heading = style.render(str(version), links.version_url, date)

    eol = doc.eol
    edits: dict[int, list[str]] = {}  # line index -> the lines that replace it
    ref = links.unreleased_ref
    if ref is not None and links.unreleased_url is not None:
        where = ref.url_line
        edits[where] = [_replace_span(doc.lines[where], ref.url_span, links.unreleased_url)]
    if links.new_ref is not None:
        index, before, line = links.new_ref
        current = edits.get(index, [doc.lines[index]])
        edits[index] = [line + eol, *current] if before else [*current, line + eol]
    head = unreleased.heading
    head_lines = [doc.lines[index] for index in range(head.start, head.stop)]
    if head.url_span is not None and links.unreleased_url is not None:
        at = head.index - head.start
        head_lines[at] = _replace_span(head_lines[at], head.url_span, links.unreleased_url)
    body = [line for index in unreleased.body for line in edits.get(index, [doc.lines[index]])]
    keep, move = _split_unreleased_body(body)
    block = [*head_lines, *keep]
    # Space the new heading as the body was spaced from the Unreleased heading.
    if (keep and keep[-1].strip()) or (not keep and (not move or not move[0].strip())):
        block.append(eol)
    block.extend(line + eol for line in style.lines(heading))
    move = _spaced(move, compact=style.compact, eol=eol)
    block.extend(move)
    for index in range(head.start, head.stop - 1):
        edits[index] = []
    edits[head.stop - 1] = block
    for index in unreleased.body:
        edits[index] = []
    lines = _edited_lines(doc, edits)
    # The new section's body is the moved lines, as written (a last line may gain an eol).
    start = head.start + sum(len(edits[index]) - 1 for index in edits if index < head.start)
    start += len(block) - len(move)
    body = lines[start : start + len(move)]
    return PromoteResult(text=doc.bom + "".join(lines), warnings=warnings, notes=body_text(body))


def _spaced(move: list[str], *, compact: bool, eol: str) -> list[str]:
    """The moved body with the house's spacing under a release heading: a blank line or none."""
    first = next((at for at, line in enumerate(move) if line.strip()), None)
    if first is None:
        return move
    if compact:
        return move[first:]
    return move if first else [eol, *move]


def _promote_pallets(
    doc: Document, unreleased: Section, version: Version, date: datetime.date, warnings: list[str]
) -> PromoteResult:
    """``## Version 3.2.0`` + ``Unreleased`` becomes ``Released 2026-12-02``; nothing moves."""
    head = unreleased.heading
    status = head.status
    assert status is not None  # noqa: S101 - the caller checked
    edits: dict[int, list[str]] = {}
    if head.version != version and head.label_span is not None:
        line = doc.lines[head.index]
        start, end = head.label_span
        digit = next((i for i, c in enumerate(head.label) if c.isdigit()), 0)
        edits[head.index] = [line[: start + digit] + str(version) + line[end:]]
        if head.after >= 0:  # reStructuredText: the underline follows the title's length
            grow = len(str(version)) - (end - start - digit)
            for rule in {head.after - 1, head.first} - {-1}:
                text = line_text(doc.lines[rule])
                ending = doc.lines[rule][len(text) :]
                edits[rule] = [text[:1] * max(len(text) + grow, 1) + ending]
    line = doc.lines[status]
    word = line.lstrip()
    indent = line[: len(line) - len(word)]
    ending = line[len(line_text(line)) :] or ""
    edits[status] = [f"{indent}Released {_released_date(doc, unreleased, date)}{ending}"]
    lines = _edited_lines(doc, edits)
    body = [doc.lines[index] for index in unreleased.body if index != status]
    return PromoteResult(text=doc.bom + "".join(lines), warnings=warnings, notes=body_text(body))


def _promote_planned(
    doc: Document, unreleased: Section, version: Version, date: datetime.date, warnings: list[str]
) -> PromoteResult:
    """``1.2.0 (unreleased)`` becomes the house's release heading for `version`; nothing moves."""
    head = unreleased.heading
    if not doc.releases:
        msg = (
            f"the Unreleased heading (line {head.line}) names a version, and there is no "
            "release heading to learn the house style from; write the release heading by hand"
        )
        raise ChangelogError(msg)
    style = heading_style(doc, unreleased)
    title = style.render(str(version), None, date)
    eol = doc.eol
    edits: dict[int, list[str]] = {index: [] for index in range(head.start, head.stop)}
    edits[head.start] = [line + eol for line in style.lines(title)]
    lines = _edited_lines(doc, edits)
    body = [doc.lines[index] for index in unreleased.body]
    return PromoteResult(text=doc.bom + "".join(lines), warnings=warnings, notes=body_text(body))


def _released_date(doc: Document, unreleased: Section, date: datetime.date) -> str:
    """The date as the last ``Released ...`` line writes it (ISO when there is none)."""
    for section in doc.releases[:WINDOW]:
        for index in section.body:
            text = doc.lines[index].strip()
            if not text:
                continue
            if text.startswith("Released "):
                _, style, _ = read_date(text[len("Released ") :])
                if style is not None:
                    return style.before + format_date(date, style.form) + style.after
            break
    del unreleased
    return date.isoformat()


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
        out[-1] = line_text(out[-1])
    return out


def _replace_span(line: str, span: tuple[int, int], new: str) -> str:
    return line[: span[0]] + new + line[span[1] :]


# --- add --------------------------------------------------------------------------------


def add(
    text: str,
    entry: str,
    *,
    kind: Category | None = None,
    tag_prefix: str = "v",
    fmt: str | None = None,
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
    doc = parse(text, tag_prefix=tag_prefix, fmt=fmt)
    if doc.fmt != "markdown":
        msg = (
            "'changelog add' writes Markdown entries; this changelog uses underlined "
            "(reStructuredText) titles: add the entry by hand"
        )
        raise ChangelogError(msg)
    if not doc.unreleased:
        doc = parse(with_unreleased(doc), tag_prefix=tag_prefix)
    unreleased = only_unreleased(doc)
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
    name = _house_category(doc, sub_level, chosen) or chosen.capitalize()
    title = "#" * sub_level + " " + name
    block = [title, *([""] if gap_after_heading else []), *item]
    rank = CATEGORIES.index(chosen)
    for sub in subsections:
        other = _category(sub.title)
        if other is not None and CATEGORIES.index(other) > rank:
            return EditResult(_insert(doc, sub.index - 1, [*block, ""]), warnings)
    after = _last_content(doc, unreleased.heading.index, unreleased.end)
    return EditResult(_insert(doc, after, ["", *block]), warnings)


def with_unreleased(doc: Document, *, remote_url: str | None = None) -> str:
    """The text with an Unreleased heading added above the newest release (or at the end).

    The heading follows the house: its level (or underline), brackets when release labels
    are bracketed, an inline compare link when release headings carry theirs, and a
    ``[Unreleased]: URL`` reference in the file's order when the file keeps references.
    """
    eol = doc.eol
    newest = newest_releases(doc, 1)
    if not newest:
        heading = "#" * (doc.level or 2) + " [Unreleased]"
        if not doc.lines:
            return doc.bom + f"# Changelog{eol}{eol}{heading}{eol}"
        after = _last_content(doc, -1, doc.footer)
        return _insert(doc, after, ["", heading, *([] if _blank_after(doc, after) else [""])])
    style = heading_style(doc, newest[0])
    link = unreleased_link(doc, tag_prefix=doc.tag_prefix, remote_url=remote_url)
    label = "Unreleased"
    keeps_refs = any(ref.kind != "other" for ref in doc.refs)
    if style.bracketed and link is not None:
        label = f"[Unreleased]({link.url})" if style.inline else "[Unreleased]"
    elif style.bracketed and not keeps_refs and not style.inline:
        label = "[Unreleased]"  # a bracket label without links, as the releases have
    hashes = "" if style.underline else "#" * (doc.level or 2) + " "
    lines = style.lines(hashes + label)
    first = newest[0].heading.start
    edits: dict[int, list[str]] = {first: [*(line + eol for line in lines), eol, doc.lines[first]]}
    if link is not None and link.reference is not None and style.bracketed and not style.inline:
        where, before, text = link.reference
        current = edits.get(where, [doc.lines[where]])
        edits[where] = [text + eol, *current] if before else [*current, text + eol]
    return _apply(doc, edits)


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


# The names houses give Keep a Changelog's categories (towncrier's defaults, GitHub's
# generated notes, conventional-commit changelogs): `changelog add --type fixed` goes under
# `### Bug Fixes` in a file that says so, and a new subsection is named the house's way.
_SYNONYMS: dict[str, Category] = {
    "features": "added",
    "feature": "added",
    "new features": "added",
    "new": "added",
    "enhancements": "added",
    "improvements": "changed",
    "changes": "changed",
    "breaking changes": "changed",
    "backward incompatible changes": "changed",
    "backwards incompatible changes": "changed",
    "misc": "changed",
    "miscellaneous": "changed",
    "other changes": "changed",
    "deprecations": "deprecated",
    "removals": "removed",
    "bug fixes": "fixed",
    "bugfixes": "fixed",
    "bug fix": "fixed",
    "fixes": "fixed",
    "security fixes": "security",
}


def _category(title: str) -> Category | None:
    name = " ".join(title.strip().rstrip(":").strip().casefold().split())
    exact = next((category for category in CATEGORIES if category == name), None)
    return exact or _SYNONYMS.get(name)


def _house_category(doc: Document, sub_level: int, chosen: Category) -> str | None:
    """How the newest release sections title the category `chosen`, if they title it."""
    for release in newest_releases(doc):
        for heading in doc.headings:
            if (
                heading.level == sub_level
                and release.heading.index < heading.index < release.end
                and _category(heading.title) == chosen
            ):
                return heading.title.strip()
    return None


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
