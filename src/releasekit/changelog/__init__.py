"""The changelog: a line-exact model of the file, and promote, notes, check and add.

Every function here is pure: it takes the text of the file and returns new text, a body, or
findings; reading and writing files is the caller's business. The parser keeps each line's
exact text (with its line ending), so rendering an unchanged document gives back the input
byte for byte, and an edit replaces only the lines it must. ``docs/changelog.md`` describes
the variants accepted and the refusals.

The package: `model` (headings, references, sections), `dates`, `titles` (what a heading
says), `document` and `markdown` (the parsed file and its reader), `query` (Unreleased,
entries, notes), `style`, `links`, `edits` (promote, add) and `check`.
"""

from __future__ import annotations

from pathlib import PurePath

from releasekit.changelog.check import check
from releasekit.changelog.dates import KAC_DATE, DateStyle
from releasekit.changelog.document import Document
from releasekit.changelog.edits import add, promote, with_unreleased
from releasekit.changelog.gate import gate, release_findings
from releasekit.changelog.markdown import parse
from releasekit.changelog.model import (
    CATEGORIES,
    Category,
    EditResult,
    Finding,
    Heading,
    Kind,
    LinkRef,
    PromoteResult,
    Section,
    Severity,
)
from releasekit.changelog.query import has_unreleased_entries, notes


def format_of(path: str | PurePath) -> str | None:
    """The changelog format a file name says: "rst" for ``*.rst``, else None (detected)."""
    return "rst" if PurePath(path).suffix.lower() == ".rst" else None


__all__ = [
    "CATEGORIES",
    "KAC_DATE",
    "Category",
    "DateStyle",
    "Document",
    "EditResult",
    "Finding",
    "Heading",
    "Kind",
    "LinkRef",
    "PromoteResult",
    "Section",
    "Severity",
    "add",
    "check",
    "format_of",
    "gate",
    "has_unreleased_entries",
    "notes",
    "parse",
    "promote",
    "release_findings",
    "with_unreleased",
]
