"""Changelogs built from news fragments by the project's own tool (towncrier, scriv).

`tools` finds the tool, its files and the version the project pins; `env` installs it in an
isolated, cached environment; `run` runs it in a private copy of the project and reports
exactly what it wrote and consumed; `step` turns that into release checks and the undoable
step that removes the consumed fragments. ``docs/changelog.md`` describes the behaviour.
"""

from __future__ import annotations

from releasekit.changelog.fragments.step import (
    ConsumeFragments,
    FragmentPlan,
    create_hint,
    fragment_notes,
    plan_fragments,
    render_draft,
)
from releasekit.changelog.fragments.tools import FragmentTool, detect, find_requirement

__all__ = [
    "ConsumeFragments",
    "FragmentPlan",
    "FragmentTool",
    "create_hint",
    "detect",
    "find_requirement",
    "fragment_notes",
    "plan_fragments",
    "render_draft",
]
