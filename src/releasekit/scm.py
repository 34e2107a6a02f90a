"""Build backends that take the version from git tags, read from their own configuration.

Supported (each modelled on real projects, see docs/adoption.md):

* hatch-vcs: ``[tool.hatch.version] source = "vcs"`` (also written ``[tool.hatch]
  version.source``), with ``tag-pattern`` or ``raw-options.tag_regex``;
* setuptools-scm: a ``[tool.setuptools_scm]`` table (also read by flit_scm), or
  ``setuptools-scm`` among the build requirements of a setuptools project whose version is
  dynamic without a ``[tool.setuptools.dynamic]`` version; ``tag_regex``;
* pdm-backend: ``[tool.pdm.version] source = "scm"``, ``tag_regex``.

For all of them a release writes no version file: the tag is the version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from releasekit.errors import ConfigError


@dataclass(frozen=True)
class TagSource:
    """A backend that derives the version from the nearest release tag."""

    backend: str  # "hatch-vcs", "setuptools-scm", "pdm-backend (scm)"
    where: str  # the configuration that says so, for people
    tag_regex: re.Pattern[str] | None = None  # the tool's own tag pattern, when configured

    def matches(self, tag: str) -> bool:
        """Whether the scm tool would read `tag` as a version tag (no pattern: all do)."""
        if self.tag_regex is None:
            return True
        found = self.tag_regex.search(tag)
        return found is not None


def tag_source(pyproject: dict[str, Any]) -> TagSource | None:
    """The tag-derived version backend `pyproject` configures, or None."""
    project = pyproject.get("project", {})
    if "version" not in project.get("dynamic", []):
        return None
    tool = pyproject.get("tool", {})
    hatch = tool.get("hatch", {}).get("version", {})
    if isinstance(hatch, dict) and hatch.get("source") == "vcs":
        raw = hatch.get("raw-options", {})
        pattern = hatch.get("tag-pattern") or (
            raw.get("tag_regex") if isinstance(raw, dict) else None
        )
        return TagSource("hatch-vcs", "[tool.hatch.version] source = 'vcs'", _regex(pattern))
    pdm = tool.get("pdm", {}).get("version", {})
    if isinstance(pdm, dict) and pdm.get("source") == "scm":
        return TagSource(
            "pdm-backend (scm)", "[tool.pdm.version] source = 'scm'", _regex(pdm.get("tag_regex"))
        )
    scm = tool.get("setuptools_scm")
    if isinstance(scm, dict):
        return TagSource("setuptools-scm", "[tool.setuptools_scm]", _regex(scm.get("tag_regex")))
    requires = " ".join(str(r) for r in pyproject.get("build-system", {}).get("requires", []))
    setuptools_dynamic = tool.get("setuptools", {}).get("dynamic", {}).get("version")
    if re.search(r"setuptools[-_]scm", requires, re.IGNORECASE) and setuptools_dynamic is None:
        return TagSource("setuptools-scm", "setuptools-scm in [build-system] requires")
    return None


def _regex(pattern: object) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        msg = f"the scm tag pattern must be a string, got {pattern!r}"
        raise ConfigError(msg)
    try:
        # The scm tool's own pattern (Python re, as setuptools-scm compiles it).
        return re.compile(pattern)
    except re.error as exc:
        msg = f"the scm tag pattern {pattern!r} is not a valid regular expression ({exc})"
        raise ConfigError(msg) from None
