"""A parsed changelog: its lines exactly as read, and what they mean."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

from releasekit.changelog.model import (
    Heading,
    Kind,
    LinkRef,
    RawHeading,
    RawRef,
    Section,
    normal_label,
)
from releasekit.changelog.titles import label_version, read_heading, read_link_ref
from releasekit.changelog.urls import split_compare, split_tag


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
    raw_headings: tuple[RawHeading, ...] = field(default=(), repr=False)
    raw_refs: tuple[RawRef, ...] = field(default=(), repr=False)
    fmt: str = "markdown"  # "markdown", "rst", or "setext" (Markdown with underlined titles)
    # promote's partial read: (index of the one line that holds the unread middle, its text)
    hidden: tuple[int, str] | None = None

    @cached_property
    def headings(self) -> tuple[Heading, ...]:
        """Every ATX heading outside code and HTML blocks, in line order."""
        read = {section.heading.index: section.heading for section in self.sections}
        return tuple(
            read.get(raw[0]) or read_heading(raw, self.level, self.tag_prefix)
            for raw in self.raw_headings
        )

    @cached_property
    def refs(self) -> tuple[LinkRef, ...]:
        """Every link reference definition, in line order.

        Only a reference whose label names the Unreleased section or a version is a release
        link, and a version label counts only when a release heading names that version or
        the URL compares or tags it: ``[1]: https://x/pull/53`` is a footnote.
        """
        named = [s.heading for s in self.sections if s.heading.version is not None]
        released = {normal_label(h.label) for h in named} | {str(h.version) for h in named}
        refs = []
        for raw in self.raw_refs:
            ref = read_link_ref(raw, self.tag_prefix)
            if (
                ref.kind == "release"
                and normal_label(ref.label) not in released
                and str(ref.version) not in released
                and not _names_release(ref, self.tag_prefix)
            ):
                ref = dataclasses.replace(ref, kind="other", version=None)
            refs.append(ref)
        return tuple(refs)

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
            index.setdefault(normal_label(ref.label), ref)
        return index

    def ref(self, label: str) -> LinkRef | None:
        """The first link reference with `label` (compared as Markdown does)."""
        return self._ref_index.get(normal_label(label))

    def link(self, heading: Heading) -> str | None:
        """The URL a heading links to: inline, or through a reference with its label."""
        if heading.url is not None:
            return heading.url
        ref = self.ref(heading.label)
        return ref.url if ref is not None else None


def _names_release(ref: LinkRef, tag_prefix: str) -> bool:
    """Whether a reference's URL compares up to, or links to the tag of, its label's version."""
    compare = split_compare(ref.url)
    if compare is not None:
        return label_version(compare.new, tag_prefix) == ref.version
    tag = split_tag(ref.url)
    return tag is not None and label_version(tag.tag, tag_prefix) == ref.version
