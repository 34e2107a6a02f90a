"""Release links: compare and tag URLs, learned from the file or the remote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.version import Version

from releasekit.changelog.document import Document
from releasekit.changelog.markdown import REFERENCE
from releasekit.changelog.model import LinkRef, Section, line_text
from releasekit.changelog.style import Style
from releasekit.changelog.titles import label_version
from releasekit.changelog.urls import Compare, TagUrl, forge_urls, split_compare, split_tag
from releasekit.versions import tag_for_version


def tag_names(tag: str, version: Version, tag_prefix: str) -> bool:
    """Whether the tag (or revision) `tag` in a URL names `version`."""
    return label_version(tag, tag_prefix) == version


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


def _link_shape(url: str, version: Version, tag_prefix: str) -> Compare | TagUrl | None:
    """The shape of a release's link, if its last revision names that release."""
    as_compare = split_compare(url)
    if as_compare is not None:
        return as_compare if tag_names(as_compare.new, version, tag_prefix) else None
    as_tag = split_tag(url)
    return as_tag if as_tag is not None and tag_names(as_tag.tag, version, tag_prefix) else None


def _compare_shape(
    links: Mapping[Version, str], unreleased: Compare | None, tag_prefix: str
) -> tuple[Compare | None, bool]:
    """The newest compare URL shape, and whether the file links releases to tags instead."""
    compare = unreleased
    newest: list[Compare | TagUrl | None] = []
    for version, url in links.items():  # newest first; stops at the first comparison
        shape = _link_shape(url, version, tag_prefix)
        if len(newest) < 2:
            newest.append(shape)
        if isinstance(shape, Compare):
            compare = compare or shape
            break
    # Keep a Changelog links the first release to its tag and later ones to a comparison,
    # so one tag link beside a compare-style Unreleased link does not make a tag-style file.
    tags = [isinstance(shape, TagUrl) for shape in newest]
    lone_tag = len(tags) == 1 and unreleased is None
    return compare, tags[:1] == [True] and (tags[1:] == [True] or lone_tag)


def _tag_shape(links: Mapping[Version, str], tag_prefix: str) -> TagUrl | None:
    """The newest link to a tag (``.../releases/tag/v1.0.0``), if any."""
    for version, url in links.items():
        shape = _link_shape(url, version, tag_prefix)
        if isinstance(shape, TagUrl):
            return shape
    return None


def plan_links(
    doc: Document,
    unreleased: Section,
    version: Version,
    *,
    tag_prefix: str,
    remote_url: str | None,
    style: Style,
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
    unreleased_compare = split_compare(unreleased_url) if unreleased_url else None
    forge = forge_urls(remote_url)
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
        as_compare = split_compare(url)
        if as_compare is not None and tag_names(as_compare.new, previous, tag_prefix):
            return as_compare.new
        as_tag = split_tag(url)
        if as_tag is not None and tag_names(as_tag.tag, previous, tag_prefix):
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
    content = line_text(doc.lines[model.index])
    match = REFERENCE.fullmatch(content)
    gap = match.group(2) if match is not None and match.group(2) else " "
    text = f"{content[: content.index('[')]}[{label}]:{gap}"
    if model.url_line != model.index:  # the file wraps its references: URL on the next line
        following = line_text(doc.lines[model.url_line])
        indent = following[: len(following) - len(following.lstrip(" \t"))]
        text = f"{content[: content.index('[')]}[{label}]:{doc.eol}{indent}"
    if not version_refs:
        return model.url_line, False, text
    versions = [ref.version for ref in version_refs if ref.version is not None]
    if len(versions) > 1:
        ascending = versions[0] < versions[-1]
    else:  # one release reference: the Unreleased one below it means oldest first
        ascending = unreleased_ref is not None and unreleased_ref.index > model.index
    lower = [ref for ref in version_refs if ref.version is not None and ref.version < version]
    if ascending:
        return (lower[-1].url_line, False, text) if lower else (version_refs[0].index, True, text)
    return (lower[0].index, True, text) if lower else (version_refs[-1].url_line, False, text)


@dataclass(frozen=True)
class UnreleasedLink:
    """The link of a new Unreleased heading: its URL, and its reference if the file keeps them."""

    url: str
    reference: tuple[int, bool, str] | None  # (line index, insert before it, the whole line)


def unreleased_link(
    doc: Document, *, tag_prefix: str, remote_url: str | None = None
) -> UnreleasedLink | None:
    """How to link a new Unreleased heading: compare the newest release with HEAD.

    The comparison's shape comes from the file's release links; from the remote only when
    the file has none. A file whose releases carry no link gets none.
    """
    links = _release_links(doc)
    if not links:
        return None
    newest = next(iter(links))
    compare, _ = _compare_shape(links, None, tag_prefix)
    if compare is None:
        forge = forge_urls(remote_url)
        compare = forge[0] if forge is not None else None
    if compare is None:
        return None
    url = compare.url(_previous_tag(newest, links, tag_prefix) or "", "HEAD")
    version_refs = [ref for ref in doc.refs if ref.kind == "release"]
    if not version_refs:
        return UnreleasedLink(url, None)
    above = Version(f"{max(ref.version for ref in version_refs if ref.version)}.post999999")
    where, before, text = _new_reference(doc, version_refs, None, version=above, label="Unreleased")
    return UnreleasedLink(url, (where, before, text + url))
