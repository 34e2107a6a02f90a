"""The fragment tool's part of a release: its checks, and the step that consumes fragments.

`plan_fragments` runs the tool in a private copy (see `releasekit.changelog.fragments.run`) and
turns the result into the release's terms: file edits for the step that writes files,
the fragments to remove, the release notes for the tag, and check failures. Nothing in the
project changes until the release applies `ConsumeFragments`, whose undo writes every
consumed fragment back with its exact bytes and mode.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from releasekit import changelog
from releasekit.changelog.fragments.env import tool_env
from releasekit.changelog.fragments.run import FragmentBuild, build, draft
from releasekit.changelog.fragments.tools import FragmentTool
from releasekit.errors import ChangelogError, WriteError
from releasekit.files import FileEdit, decode, display_path, read_bytes, write_atomic
from releasekit.git import Git
from releasekit.versions import tag_for_version


def tools_cache(git: Git) -> Path:
    """Where fragment tool environments are kept: inside the repository's git directory."""
    return Path(git.common_dir) / "releasekit" / "tools"


@dataclass
class FragmentPlan:
    """The fragment tool's share of a release plan."""

    tool: FragmentTool
    build: FragmentBuild | None = None
    edits: list[FileEdit] = field(default_factory=list)
    consumed: list[Path] = field(default_factory=list)
    notes: str = ""
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self, root: Path) -> str:
        """One line: the tool, its version, what it consumes and writes."""
        if self.build is None:
            return f"{self.tool.name}: not run"
        written = ", ".join(display_path(edit.path, root) for edit in self.edits) or "nothing"
        return (
            f"{self.tool.name} {self.build.tool_version} builds {written} from "
            f"{len(self.consumed)} fragment(s) in {self.tool.fragment_dir}/"
        )


def plan_fragments(
    tool: FragmentTool,
    git: Git,
    root: Path,
    pyproject: Mapping[str, Any],
    *,
    version: str,
    date: datetime.date,
    date_given: bool,
    allow_empty: bool,
) -> FragmentPlan:
    """Run `tool` in a copy of `root` for `version`; collect edits, checks and warnings."""
    plan = FragmentPlan(tool)
    configured = pyproject.get("tool", {}).get("releasekit", {}).get("changelog")
    if isinstance(configured, str) and tool.news_file and configured != tool.news_file:
        plan.failures.append(
            f"[tool.releasekit] changelog is {configured!r}, but {tool.name} writes "
            f"{tool.news_file!r} ({tool.config}); remove the key or make the two agree"
        )
        return plan
    try:
        env = tool_env(tool, tools_cache(git))
        plan.build = build(tool, env, git, root, version=version, date=date)
    except ChangelogError as exc:
        plan.failures.append(str(exc))
        return plan
    plan.edits = list(plan.build.edits)
    plan.consumed = list(plan.build.consumed)
    plan.notes = plan.build.notes
    if not plan.consumed:
        if not allow_empty:
            plan.failures.append(
                f"no news fragments in {tool.fragment_dir + '/'!r} for {tool.name} to build "
                f"the {version} section from; add one ({create_hint(tool)}) or release "
                "with --allow-empty"
            )
        elif not plan.edits:
            plan.warnings.append(
                f"{tool.name} writes no entry without fragments; "
                f"{tool.news_file or 'the changelog'} is left as it is"
            )
    untracked = git.untracked(plan.consumed) if plan.consumed else []
    if untracked:
        names = ", ".join(repr(display_path(path, root)) for path in untracked)
        plan.failures.append(
            f"news fragment(s) {names} not tracked by git; commit them (or delete them) first"
        )
    if tool.name == "scriv" and date_given and date != datetime.datetime.now(datetime.UTC).date():
        plan.warnings.append(
            f"scriv dates its entry itself (today, UTC); the release date {date} is not used"
        )
    return plan


def create_hint(tool: FragmentTool) -> str:
    """The command that writes a new fragment, for messages."""
    if tool.name == "towncrier":
        return "towncrier create 123.feature.md"
    return "scriv create"


@dataclass
class ConsumeFragments:
    """Remove the fragments the tool consumed; the undo writes them back, byte for byte."""

    paths: list[Path]
    root: Path
    tool: str
    _kept: dict[Path, tuple[bytes, int]] = field(default_factory=dict, repr=False)

    def describe(self, *, dry_run: bool) -> str:
        """One line, and on a dry run the fragments by name."""
        verb = "would remove" if dry_run else "removing"
        text = f"{verb} {len(self.paths)} news fragment(s) consumed by {self.tool}"
        if dry_run:
            text += "".join(f"\n    - {display_path(p, self.root)}" for p in self.paths)
        return text

    def apply(self, git: Git) -> None:
        """Keep each fragment's bytes and mode, then delete it (the commit records that)."""
        for path in self.paths:
            if path not in self._kept:
                self._kept[path] = (read_bytes(path), path.stat().st_mode)
        for path in self.paths:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                msg = f"cannot remove {display_path(path, self.root)!r}: {exc.strerror}"
                raise WriteError(msg) from None

    def undo(self, git: Git) -> None:
        """Write back every fragment that is gone, with its bytes and mode."""
        for path, (data, mode) in self._kept.items():
            if path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
            path.chmod(mode & 0o7777)


def fragment_notes(
    tool: FragmentTool,
    git: Git,
    root: Path,
    version: Version,
    *,
    tag_prefix: str,
    date: datetime.date,
) -> tuple[str, str | None]:
    """The notes of `version`: its section in the tool's file, else what the tool would render.

    Returns the notes and, when they are a draft, a line saying so (for stderr).
    """
    path = root / tool.news_file if tool.news_file else None
    if path is not None and path.is_file():
        try:
            text = decode(path, read_bytes(path))
            return changelog.notes(text, version, tag_prefix=tag_prefix), None
        except ChangelogError:
            pass  # not written yet (or not a file releasekit can read): see below
    tag = tag_for_version(version, prefix=tag_prefix)
    if tag in git.tags(tag_prefix):
        msg = (
            f"{version} was released (tag {tag!r}), but releasekit cannot read its section "
            f"from {tool.news_file or 'the changelog'!r}"
        )
        raise ChangelogError(msg)
    env = tool_env(tool, tools_cache(git))
    text = draft(tool, env, root, version=str(version), date=date)
    where = tool.news_file or "the changelog"
    return text, f"{version} is not in {where} yet; this is what {tool.name} would render now"


def render_draft(tool: FragmentTool, git: Git, root: Path, *, date: datetime.date) -> str:
    """Render the pending fragments as the tool would (its draft mode); ChangelogError if not."""
    env = tool_env(tool, tools_cache(git))
    return draft(tool, env, root, version="UNRELEASED", date=date)
