"""Changelogs built from news fragments by the project's own tool (towncrier, scriv).

`tools` finds the tool, its files and the version the project pins; `env` installs it in an
isolated, cached environment; `run` runs it in a private copy of the project and reports
exactly what it wrote and consumed; `step` turns that into release checks and the undoable
step that removes the consumed fragments. ``docs/changelog.md`` describes the behaviour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from releasekit.changelog.fragments.tools import FragmentTool, detect

if TYPE_CHECKING:
    from releasekit.changelog.fragments.pins import find_requirement
    from releasekit.changelog.fragments.step import (
        ConsumeFragments,
        FragmentPlan,
        create_hint,
        fragment_notes,
        plan_fragments,
        render_draft,
    )

# `step` pulls in build and gitpython; changelog discovery (read by `version`, `tag-version`
# and every project load) needs only `tools`, so the rest loads on first use (start-up time).
_FROM_STEP = frozenset(
    {
        "ConsumeFragments",
        "FragmentPlan",
        "create_hint",
        "fragment_notes",
        "plan_fragments",
        "render_draft",
    }
)


def __getattr__(name: str) -> object:
    if name == "find_requirement":  # packaging's requirement parser: only when needed
        from releasekit.changelog.fragments import pins  # noqa: PLC0415

        return pins.find_requirement
    if name in _FROM_STEP:
        from releasekit.changelog.fragments import step  # noqa: PLC0415

        return getattr(step, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


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
