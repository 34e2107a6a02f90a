"""`changelog check`: structure, versions, order, dates and links, with line numbers."""

from __future__ import annotations

import itertools

from packaging.version import Version

from releasekit.changelog.controls import control_characters
from releasekit.changelog.document import Document
from releasekit.changelog.links import tag_names
from releasekit.changelog.markdown import parse
from releasekit.changelog.model import Finding, Report, Section, Severity, normal_label
from releasekit.changelog.titles import label_version
from releasekit.changelog.urls import split_compare, split_tag

# --- check ------------------------------------------------------------------------------


def check(
    text: str, *, tag_prefix: str = "v", fmt: str | None = None, document: Document | None = None
) -> list[Finding]:
    """Lint a changelog: structure, versions, order, dates and links, with line numbers.

    `document` is `text` already parsed with the same prefix and format (read once, not twice).
    """
    doc = document if document is not None else parse(text, tag_prefix=tag_prefix, fmt=fmt)
    findings: list[Finding] = []

    def report(line: int, severity: Severity, message: str) -> None:
        findings.append(Finding(line=line, severity=severity, message=message))

    findings.extend(control_characters(text))
    for index, what in doc.strays:
        report(index + 1, "error", f"{what} is never closed; close it (it was read as text)")
    unreleased = doc.unreleased
    releases = doc.releases
    if not unreleased and not releases:
        report(
            1, "error", "not a Keep a Changelog file: no '## [Unreleased]' and no release headings"
        )
        return findings
    if not unreleased and not _marks_releases(doc):
        # Keep a Changelog's bracketed houses keep a standing Unreleased section; others
        # (``## 1.2.0 (unreleased)`` until release) may well have none between releases.
        first = releases[0].heading
        label = "[Unreleased]" if first.bracketed else "Unreleased"
        where = f"'{'#' * first.level} {label}'" if doc.fmt == "markdown" else f"an {label!r} title"
        report(
            first.line,
            "error" if first.bracketed else "warning",
            f"no Unreleased section; add {where} above this line",
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
    # A house that writes its dates in words is not told so on every heading: only a date
    # in another form than the newest release's is.
    newest = next((s.heading.date_style for s in releases if s.heading.date_style), None)
    house_form = newest.form if newest is not None else "{iso}"
    for section in doc.sections:
        heading = section.heading
        if heading.problem is not None:
            report(heading.line, "error", heading.problem)
        elif heading.date_style is not None and heading.date_style.form not in (
            "{iso}",
            house_form,
        ):
            report(
                heading.line,
                "warning",
                "the date is not ISO 8601 (YYYY-MM-DD), which Keep a Changelog uses",
            )
    _check_versions(releases, report)
    _check_links(doc, report, tag_prefix)
    findings.sort(key=lambda finding: finding.line)
    return findings


def _check_versions(releases: list[Section], report: Report) -> None:
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


def _check_links(doc: Document, report: Report, tag_prefix: str) -> None:
    seen: dict[str, int] = {}
    for ref in doc.refs:
        key = normal_label(ref.label)
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
    labels = {normal_label(h.label) for h in headings}
    for heading in headings:
        if heading.bracketed and heading.url is None and normal_label(heading.label) not in seen:
            report(
                heading.line,
                "error",
                f"[{heading.label}] has no link reference; add '[{heading.label}]: URL'",
            )
    releases = {h.version for h in headings if h.version is not None}
    for ref in changelog_refs:
        if (
            ref.kind == "release"
            and normal_label(ref.label) not in labels
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
        compare = split_compare(url) if url else None
        if latest is None or compare is None:
            continue
        if not tag_names(compare.old, latest, tag_prefix):
            where = doc.ref(head.label) if head.url is None else None
            report(
                head.line if where is None else where.line,
                "warning",
                f"the Unreleased link compares from {compare.old!r}, "
                f"but the latest release is {latest}",
            )


def _url_version(url: str, tag_prefix: str) -> Version | None:
    """The version whose changes a release link shows, if the URL says."""
    compare = split_compare(url)
    if compare is not None:
        return label_version(compare.new, tag_prefix)
    tag = split_tag(url)
    return label_version(tag.tag, tag_prefix) if tag is not None else None


def _marks_releases(doc: Document) -> bool:
    """Whether releases say ``Released 2024-11-13`` under their heading, as Pallets' do."""
    first = doc.releases[0]
    for index in first.body:
        text = doc.lines[index].strip()
        if text:
            return text.startswith("Released ")
    return False
