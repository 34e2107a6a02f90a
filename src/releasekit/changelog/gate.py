"""The release gate: what `changelog check` finds, sorted into what blocks a release.

`status` and `release` read the changelog with the same reader as `changelog check`. A
problem in the part a release reads or writes — the Unreleased section, the newest release
heading (the house style comes from there), the structure that says where those are, a
control character anywhere in the notes — refuses the release, with its line. A problem
that already sits in an old section (a stale link, a bad old date) is only a warning for a
release; `changelog check` still reports it as an error.
"""

from __future__ import annotations

from releasekit.changelog.check import check
from releasekit.changelog.document import Document
from releasekit.changelog.markdown import parse
from releasekit.changelog.model import Finding
from releasekit.errors import ChangelogError


def release_findings(
    text: str, *, tag_prefix: str = "v", fmt: str | None = None, document: Document | None = None
) -> tuple[list[Finding], list[Finding]]:
    """(errors that refuse a release, warnings to show) for the changelog `text`.

    `document` is `text` already parsed with the same prefix and format (read once).
    """
    doc = document if document is not None else parse(text, tag_prefix=tag_prefix, fmt=fmt)
    releases = doc.releases
    unreleased = doc.unreleased
    # The region a release reads: down to the newest release heading, or the whole
    # Unreleased section when the file has no release yet.
    limit = releases[0].heading.line if releases else len(doc.lines) + 1
    if unreleased and releases and unreleased[0].heading.index > releases[0].heading.index:
        limit = unreleased[0].end
    unreleased_refs = {ref.line for ref in doc.refs if ref.kind == "unreleased"}
    errors: list[Finding] = []
    warnings: list[Finding] = []
    for finding in check(text, tag_prefix=tag_prefix, fmt=fmt, document=doc):
        current = finding.severity == "error" and (
            finding.line <= limit or finding.line in unreleased_refs
        )
        if current:
            errors.append(finding)
        else:
            warnings.append(Finding(finding.line, "warning", finding.message))
    return errors, warnings


def gate(
    text: str, *, tag_prefix: str = "v", fmt: str | None = None, document: Document | None = None
) -> list[Finding]:
    """Raise ChangelogError naming the lines that refuse a release; return the warnings."""
    errors, warnings = release_findings(text, tag_prefix=tag_prefix, fmt=fmt, document=document)
    if errors:
        shown = "; ".join(f"line {finding.line}: {finding.message}" for finding in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        msg = f"{shown}{more}; 'releasekit changelog check' lists every problem"
        raise ChangelogError(msg)
    return warnings
