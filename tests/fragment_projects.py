"""Fragment-based projects for the release tests, modelled on real ones (named below)."""

from __future__ import annotations

HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'

# Modelled on python-attrs/attrs: a Markdown CHANGELOG.md built by towncrier from
# changelog.d/<issue>.<type>.md, types named like attrs' (breaking, deprecation, change),
# towncrier pinned in a dependency group (attrs lists it, unpinned, in its docs group).
TOWNCRIER_PYPROJECT = (
    HATCH
    + """
[project]
name = "sample"
version = "1.2.0"

[dependency-groups]
docs = ["towncrier==24.8.0"]

[tool.towncrier]
name = "sample"
directory = "changelog.d"
filename = "CHANGELOG.md"
start_string = "<!-- towncrier release notes start -->\\n"
title_format = "## [{version}](https://example.invalid/o/sample/tree/{version}) - {project_date}"
issue_format = "[#{issue}](https://example.invalid/o/sample/issues/{issue})"

[[tool.towncrier.type]]
directory = "breaking"
name = "Backwards-incompatible Changes"
showcontent = true

[[tool.towncrier.type]]
directory = "change"
name = "Changes"
showcontent = true
"""
)

TOWNCRIER_CHANGELOG = """\
# Changelog

The changes of the next release are in the `changelog.d` directory.

<!--
Entries are written by towncrier at release time; do not add them here.
-->

<!-- towncrier release notes start -->

## [1.2.0](https://example.invalid/o/sample/tree/1.2.0) - 2025-06-01

### Changes

- The first public release.
  [#1](https://example.invalid/o/sample/issues/1)
"""

TOWNCRIER_PROJECT: dict[str, str | bytes] = {
    "pyproject.toml": TOWNCRIER_PYPROJECT,
    "src/sample/__init__.py": '__version__ = "1.2.0"\n',
    "CHANGELOG.md": TOWNCRIER_CHANGELOG,
    "changelog.d/.gitkeep": "",
    "changelog.d/12.change.md": "Frobnicate faster.\n",
    "changelog.d/15.breaking.md": "Drop Python 3.10.\n",
    "changelog.d/15.change.md": "Give `frob()` a *timeout*.\r\nIt defaults to none.\r\n",
}

# Modelled on nedbat/scriv's own setup ([tool.scriv] in pyproject.toml), in Markdown with
# Keep a Changelog categories, a layout many scriv users pick.
SCRIV_PROJECT: dict[str, str | bytes] = {
    "pyproject.toml": HATCH
    + """
[project]
name = "sample"
version = "1.2.0"

[project.optional-dependencies]
dev = ["scriv>=1.5"]

[tool.scriv]
format = "md"
md_header_level = "2"
categories = ["Added", "Fixed"]
""",
    "src/sample/__init__.py": '__version__ = "1.2.0"\n',
    "CHANGELOG.md": "# Changelog\n\n<!-- scriv-insert-here -->\n\n## 1.2.0 — 2025-06-01\n\n"
    "### Added\n\n- The first release.\n",
    "changelog.d/20260101_120000_dev_frob.md": "### Fixed\n\n- Frobnicate faster.\n",
}
