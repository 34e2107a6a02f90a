"""Changelogs built from news fragments by the project's own tool (towncrier, scriv).

`tools` finds the tool and its files, `pins` the version the project pins; `env` installs
it in an isolated, cached environment; `run` runs it in a private copy of the project and
reports exactly what it wrote and consumed; `step` turns that into release checks and the
undoable step that removes the consumed fragments. ``docs/changelog.md`` describes the
behaviour.
"""

from __future__ import annotations

import importlib
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

# `step` pulls in build and gitpython, `pins` packaging's requirement parser; changelog
# discovery (read by `version`, `tag-version` and every project load) needs only `tools`,
# so the rest loads on first use (start-up time). Name -> the submodule that defines it.
_LAZY = {
    "ConsumeFragments": "step",
    "FragmentPlan": "step",
    "create_hint": "step",
    "fragment_notes": "step",
    "plan_fragments": "step",
    "render_draft": "step",
    "find_requirement": "pins",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
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
