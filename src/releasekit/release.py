"""The release transaction: plan, check everything, apply with undo, push atomically, verify.

A release is a `Plan`: the new version, the file edits, and a list of actions that each
describe themselves ("would tag ..." / "tagging ...") and can be undone. Every check runs
before the first change, and all failures are reported together. Once a file has been
written, any failure or interrupt before the push is confirmed undoes every action,
newest first: the files get their old bytes back, the tag and the commits go, and the
branch and index point where they did. Ctrl-C is held back while a step runs and taken
between steps, so no step is ever left half-done.
"""

from __future__ import annotations

import datetime
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Protocol

from packaging.version import Version

from releasekit import changelog, readiness, tags, versions
from releasekit.changelog.fragments import (
    ConsumeFragments,
    FragmentPlan,
    FragmentTool,
    plan_fragments,
)
from releasekit.changelog.fragments import detect as detect_tool
from releasekit.config import changelog_path
from releasekit.errors import (
    ChangelogError,
    ChecksFailedError,
    GitError,
    PushedButIncompleteError,
    ReleaseError,
    ReleaseInterruptedError,
    UsageError,
    VersionPlaceError,
    WriteError,
    command,
)
from releasekit.files import (
    FileEdit,
    apply_edits,
    decode,
    display_path,
    read_bytes,
    undo_edits,
)
from releasekit.git import Git, RemoteRefs, public_url
from releasekit.lock import release_lock
from releasekit.project import Project, VersionPlace, load_project, version_edits

Out = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    """What the user asked for (the `release` task's arguments)."""

    target: str
    pre: str | None = None
    dry_run: bool = False
    push: bool = True
    date: datetime.date | None = None
    allow_empty: bool = False
    sign: bool = False
    next_dev: bool = False


@dataclass(frozen=True)
class Check:
    """The result of one pre-release check; `detail` says what was found (and the remedy)."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """One line for people."""
        return f"{'ok' if self.ok else 'FAILED'}: {self.name}: {self.detail}"


# --- actions ------------------------------------------------------------------------------


class Action(Protocol):
    """One change of a release: it describes itself, does itself, and undoes itself."""

    def describe(self, *, dry_run: bool) -> str:
        """One line: what this action would do (dry run) or is doing."""

    def apply(self, git: Git) -> None:
        """Make the change."""

    def undo(self, git: Git) -> None:
        """Take the change back; safe to call when `apply` failed half-way or never ran."""


@dataclass
class WriteFiles:
    """Write the new bytes of the version places and the changelog."""

    edits: list[FileEdit]
    root: Path
    summary: str

    def describe(self, *, dry_run: bool) -> str:
        names = ", ".join(display_path(edit.path, self.root) for edit in self.edits if edit.changes)
        return f"{'would write' if dry_run else 'writing'} {names} ({self.summary})"

    def apply(self, git: Git) -> None:
        apply_edits(self.edits)

    def undo(self, git: Git) -> None:
        undo_edits([edit for edit in self.edits if edit.changes])


@dataclass
class Commit:
    """Commit exactly the release's files, whatever else is in the work tree."""

    paths: list[Path]
    message: str
    branch: str
    before: str
    root: Path
    new: list[Path] = field(default_factory=list)  # files the release creates: added first

    def describe(self, *, dry_run: bool) -> str:
        verb = "would commit" if dry_run else "committing"
        return f"{verb} {self.message!r} on {self.branch} ({len(self.paths)} file(s))"

    def apply(self, git: Git) -> None:
        if self.new:
            git.run("add", "--", *(str(path) for path in self.new))
        git.commit_only(self.paths, self.message)

    def undo(self, git: Git) -> None:
        git.reset_branch(self.branch, self.before)


@dataclass
class Tag:
    """Create the annotated release tag, its message the version's changelog notes."""

    name: str
    message: str
    sign: bool
    signed_by_config: bool

    def describe(self, *, dry_run: bool) -> str:
        kind = "signed" if self.sign or self.signed_by_config else "annotated"
        text = f"{'would tag' if dry_run else 'tagging'} {self.name} ({kind})"
        if dry_run:
            text += " with message:\n" + "\n".join(
                f"    | {line}" for line in self.message.split("\n")
            )
        return text

    def apply(self, git: Git) -> None:
        git.create_tag(self.name, self.message, sign=self.sign)

    def undo(self, git: Git) -> None:
        git.delete_tag(self.name)


@dataclass
class NextDev:
    """After the release commit, write the next `.dev0` version and commit it."""

    places: tuple[VersionPlace, ...]
    version: Version
    root: Path
    message: str
    written: list[FileEdit] = field(default_factory=list)

    def describe(self, *, dry_run: bool) -> str:
        verb = "would write and commit" if dry_run else "writing and committing"
        return f"{verb} the next development version {self.version} ({self.message!r})"

    def apply(self, git: Git) -> None:
        # Planned now, not earlier: the files hold the release's bytes only from here on.
        edits = version_edits(self.places, self.version)
        self.written = apply_edits(edits)
        git.commit_only([edit.path for edit in edits], self.message)

    def undo(self, git: Git) -> None:
        undo_edits(self.written)  # the release commit's undo moves the branch back


@dataclass
class Plan:
    """Everything a release would do, and the result of every check."""

    project: Project
    options: Options
    branch: str
    remote: str
    current: Version | None
    new: Version | None
    tag: str | None
    last_tag: str | None
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    refspecs: list[str] = field(default_factory=list)
    fragments: FragmentPlan | None = None

    @property
    def failures(self) -> list[str]:
        """The failed checks, one line each, with their remedies."""
        return [f"{check.name}: {check.detail}" for check in self.checks if not check.ok]

    def headline(self) -> str:
        """What the release is: versions, tag, branch, remote."""
        verb = "would release" if self.options.dry_run else "releasing"
        return (
            f"{verb} {self.project.name} {self.current} -> {self.new} "
            f"(tag {self.tag}, branch {self.branch}, remote {self.remote})"
        )


# --- planning and checks ------------------------------------------------------------------


def release_date(given: datetime.date | None) -> datetime.date:
    """`--date`, else SOURCE_DATE_EPOCH, else today in UTC."""
    if given is not None:
        return given
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC).date()
        except (ValueError, OverflowError, OSError):
            msg = f"SOURCE_DATE_EPOCH {epoch!r} is not a number of seconds; unset or fix it"
            raise UsageError(msg) from None
    return datetime.datetime.now(tz=datetime.UTC).date()


def parse_date(text: str) -> datetime.date:
    """Parse `--date` (YYYY-MM-DD)."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        msg = f"--date {text!r} is not a date; write it as YYYY-MM-DD"
        raise UsageError(msg) from None


def _new_version(project: Project, current: Version | None, options: Options) -> Version | None:
    """The new version, written in the project's spelling (an explicit one keeps its own)."""
    if options.target in versions.PARTS or options.pre is not None:
        if current is None:
            return None  # the version places check says why
        return project.spell(versions.next_version(current, options.target, pre=options.pre))
    return project.spell(versions.parse_version(options.target), like=options.target)


def _current_version(project: Project, check: _Checker, options: Options) -> Version | None:
    """The version now: the places' (which must agree) or, tag-derived, the nearest tag."""
    source = project.tag_source
    if source is not None:
        detail = f"the version comes from git tags ({source.backend}, {source.where})"
        if options.next_dev:
            check.fail("version places agree", f"{detail}; --next-dev has no file to write")
        elif project.nearest is None and project.git_problem is not None:
            check.fail("version places agree", f"{detail} but {project.git_problem}")
        else:
            check.ok(
                "version places agree",
                detail + (f"; {len(project.places)} record(s)" if project.places else ""),
            )
        return project.nearest.version if project.nearest is not None else None
    try:
        current = project.version
    except VersionPlaceError as exc:
        check.fail("version places agree", str(exc))
        return None
    check.ok("version places agree", f"{len(project.places)} place(s) hold {current}")
    return current


def _check_versions(
    check: _Checker,
    *,
    plan_warnings: list[str],
    new: Version,
    current: Version | None,
    releases: dict[str, Version],
    reachable: set[str],
    at_head: set[str],
) -> None:
    """The new version goes forward on its line (see `releasekit.tags`)."""
    verdict = tags.judge(new, current, releases, reachable, at_head)
    if verdict.failure is not None:
        check.fail("version goes forward", verdict.failure)
    else:
        check.ok("version goes forward", verdict.ok)
    plan_warnings.extend(verdict.warnings)


def _check_tag_is_new(
    check: _Checker,
    *,
    tag: str,
    new: Version,
    remote: str,
    local_tags: Mapping[str, str],
    remote_tags: Mapping[str, str],
    releases: dict[str, Version],
) -> None:
    """The release tag exists nowhere; a published tag is never suggested for deletion."""
    if tag in remote_tags:
        free = tags.next_free(new, releases.values())
        check.fail(
            "tag is new",
            f"tag {tag!r} is already published on {remote!r}; release the next free version "
            f"instead, e.g. 'releasekit release {free}'",
        )
    elif tag in local_tags:
        check.fail(
            "tag is new",
            f"tag {tag!r} already exists locally (not on {remote!r}); release another version "
            f"or, if that tag is a mistake, delete it ({command('git', 'tag', '-d', tag)})",
        )
    else:
        check.ok("tag is new", f"{tag!r} exists neither locally nor on the remote")


def _last_release(
    project: Project, current: Version | None, releases: dict[str, Version], reachable: set[str]
) -> str | None:
    """The real latest release on this branch: the nearest tag (tag-derived versions), else
    the highest release tag in HEAD's history that is not above the current version."""
    if project.tag_source is not None:
        return project.nearest.tag if project.nearest is not None else None
    mine = {t: v for t, v in releases.items() if t in reachable}
    below = {t: v for t, v in mine.items() if current is None or v <= current}
    pool = below or mine
    return max(pool, key=lambda t: pool[t]) if pool else None


@dataclass
class _Checker:
    checks: list[Check] = field(default_factory=list)

    def ok(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, ok=True, detail=detail))

    def fail(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, ok=False, detail=detail))


def _gate_changelog(plan: Plan, name: str, text: str, prefix: str, fmt: str | None) -> None:
    """Refuse a changelog that `changelog check` faults where the release reads or writes it.

    Problems in old sections become warnings of the plan (see changelog.gate).
    """
    try:
        warnings = changelog.gate(text, tag_prefix=prefix, fmt=fmt)
    except ChangelogError as exc:
        raise ChangelogError(f"{name} {exc}") from None
    if warnings:
        first = warnings[0]
        plan.warnings.append(
            f"{name} has {len(warnings)} problem(s) in old sections, left as they are "
            f"(line {first.line}: {first.message}); 'releasekit changelog check' lists them"
        )


def make_plan(git: Git, root: Path, options: Options) -> Plan:  # noqa: PLR0912, PLR0915
    """Compute the release of the project at `root` and run every check; changes nothing."""
    project = load_project(root)
    config = project.config
    check = _Checker()
    prefix = config.tag_prefix

    current = _current_version(project, check, options)
    new = _new_version(project, current, options)
    tag = versions.tag_for_version(new, prefix=prefix) if new is not None else None
    note = project.prefix.note()
    warnings = [note] if note is not None else []
    warnings.extend(f"left alone: {line}" for line in project.left_alone)

    # Local state.
    head = git.head()
    if head is None:
        msg = "the repository has no commits yet; commit the project first"
        raise GitError(msg)
    if git.is_shallow():
        check.fail(
            "full history",
            "this is a shallow clone, so its tags and history are incomplete and the last "
            "release cannot be known; run 'git fetch --unshallow --tags' and run again",
        )
    changed = git.changed_tracked_files()
    if changed:
        shown = ", ".join(repr(name) for name in changed[:5])
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        check.fail(
            "work tree clean",
            f"staged or modified tracked files: {shown}{more}; commit or stash them first",
        )
    else:
        check.ok("work tree clean", "no staged or modified tracked files")
    _check_git_can_commit_and_tag(git, check, sign=options.sign)

    # The remote: default branch, heads and tags in one call.
    remote = config.remote
    remote_refs: RemoteRefs | None = None
    url = git.remote_url(remote)
    if url is None:
        if options.push:
            check.fail(
                "remote reachable",
                f"no remote {remote!r} is configured; add it "
                f"({command('git', 'remote', 'add', remote, 'URL')}), "
                "set [tool.releasekit] remote, or release with --no-push",
            )
        else:
            check.ok("remote reachable", f"skipped: no remote {remote!r} and --no-push")
    else:
        try:
            remote_refs = git.remote_refs(remote)
            check.ok("remote reachable", f"{remote!r} answered")
        except GitError as exc:
            check.fail("remote reachable", f"{exc}; check the network and the remote's URL")

    branch = config.branch or (remote_refs.default_branch if remote_refs else None) or "main"
    local_branch = git.branch()
    if local_branch is None:
        check.fail(
            "on the release branch",
            f"HEAD is detached; run '{command('git', 'switch', branch)}'",
        )
    elif local_branch != branch:
        check.fail(
            "on the release branch",
            f"on branch {local_branch!r}, but releases are made from {branch!r}; "
            f"run '{command('git', 'switch', branch)}' (or set [tool.releasekit] branch)",
        )
    else:
        check.ok("on the release branch", f"on {branch!r}")

    if remote_refs is not None:
        _check_up_to_date(git, check, remote, branch, head=head, refs=remote_refs)

    # Tags and versions.
    local_tags = git.tags(prefix)
    remote_tags = remote_refs.tags if remote_refs else {}
    releases = _releases({*local_tags, *remote_tags}, project)
    reachable = tags.reachable_tags(git)
    at_head = tags.tags_at_head(git)
    if tag is not None and not git.valid_tag_name(tag):
        check.fail(
            "tag name valid",
            f"{tag!r} is not a valid git tag name (git check-ref-format); change "
            f"[tool.releasekit] tag-prefix {prefix!r}",
        )
    if tag is not None and new is not None:
        _check_tag_is_new(
            check,
            tag=tag,
            new=new,
            remote=remote,
            local_tags=local_tags,
            remote_tags=remote_tags,
            releases=releases,
        )
        if project.tag_source is not None and not project.tag_source.matches(tag):
            check.fail(
                "tag is new",
                f"tag {tag!r} does not match the tag pattern of {project.tag_source.backend} "
                f"({project.tag_source.where}); set [tool.releasekit] tag-prefix to match it",
            )
        others = {t: v for t, v in releases.items() if t != tag}
        _check_versions(
            check,
            plan_warnings=warnings,
            new=new,
            current=current,
            releases=others,
            reachable=reachable,
            at_head=at_head,
        )

    # The changelog and the file edits.
    plan = Plan(
        project=project,
        options=options,
        branch=branch,
        remote=remote,
        current=current,
        new=new,
        tag=tag,
        last_tag=_last_release(project, current, releases, reachable),
        warnings=warnings,
    )
    edits: list[FileEdit] = []
    notes = ""
    tool: FragmentTool | None = None
    log_path = changelog_path(project.root, config)
    if new is not None:
        try:
            edits = version_edits(project.places, new)
        except (VersionPlaceError, WriteError) as exc:
            check.fail("version places writable", str(exc))
        try:
            tool = detect_tool(project.root, project.pyproject)
        except ChangelogError as exc:
            check.fail("changelog can be promoted", str(exc))
        if tool is not None:
            plan.fragments = _plan_fragments(git, plan, tool, check)
            edits.extend(plan.fragments.edits)
            notes = plan.fragments.notes
        elif not log_path.is_file():
            check.fail(
                "changelog can be promoted",
                f"{config.changelog!r} does not exist; create it with a '## [Unreleased]' "
                "section (or set [tool.releasekit] changelog)",
            )
        else:
            try:
                before = read_bytes(log_path)
                text = decode(log_path, before)
                fmt = changelog.format_of(log_path)
                _gate_changelog(plan, config.changelog, text, prefix, fmt)
                result = changelog.promote(
                    text,
                    new,
                    fmt=fmt,
                    date=release_date(options.date),
                    tag_prefix=prefix,
                    allow_empty=options.allow_empty,
                    remote_url=public_url(url) if url else None,
                )
                notes = result.notes.strip()  # the new section's body: no second parse
                plan.warnings.extend(result.warnings)
                edits.append(
                    FileEdit(path=log_path, before=before, after=result.text.encode("utf-8"))
                )
                check.ok("changelog can be promoted", f"{config.changelog} has release notes")
            except (ChangelogError, WriteError) as exc:
                check.fail("changelog can be promoted", str(exc))
    written = [edit.path for edit in edits if edit.changes]
    consumed = plan.fragments.consumed if plan.fragments else []
    created = [edit.path for edit in edits if edit.before is None]  # a fragment tool's new file
    untracked = [path for path in git.untracked(written) if path not in created] if written else []
    if untracked:
        names = ", ".join(repr(display_path(path, git.root)) for path in untracked)
        check.fail(
            "release files tracked",
            f"{names} not tracked by git; add and commit them first",
        )
    plan.checks = check.checks

    if new is not None and tag is not None:
        sign_config = git.config_bool("tag.gpgSign")
        plan.actions = []
        if written or consumed:  # a tag-derived version with no changelog change: only the tag
            plan.actions += [
                WriteFiles(edits, project.root, f"{current} -> {new}, changelog promoted"),
                *(
                    [ConsumeFragments(consumed, project.root, tool.name)]
                    if consumed and tool
                    else []
                ),
                Commit(
                    [*written, *consumed],
                    f"Release {new}",
                    branch,
                    head,
                    project.root,
                    new=created,
                ),
            ]
        plan.actions.append(Tag(tag, notes or f"Release {new}", options.sign, sign_config))
        if options.next_dev:
            dev = versions.bump(new, "dev")
            plan.actions.append(
                NextDev(project.places, dev, project.root, f"Start development of {dev}")
            )
        plan.refspecs = [
            f"refs/heads/{branch}:refs/heads/{branch}",
            f"refs/tags/{tag}:refs/tags/{tag}",
        ]
    return plan


def _plan_fragments(git: Git, plan: Plan, tool: FragmentTool, check: _Checker) -> FragmentPlan:
    """Run the project's fragment tool in a copy; its failures become the changelog check's."""
    project = plan.project
    found = plan_fragments(
        tool,
        git,
        project.root,
        project.pyproject,
        version=str(plan.new),
        date=release_date(plan.options.date),
        date_given=plan.options.date is not None or "SOURCE_DATE_EPOCH" in os.environ,
        allow_empty=plan.options.allow_empty,
    )
    plan.warnings.extend(found.warnings)
    for failure in found.failures:
        check.fail("changelog can be built", failure)
    if not found.failures:
        check.ok("changelog can be built", found.summary(project.root))
    return found


def _check_git_can_commit_and_tag(git: Git, check: _Checker, *, sign: bool) -> None:
    problem = readiness.identity_problem(git)
    if problem:
        check.fail("git identity", problem)
    else:
        check.ok("git identity", "git can author and commit")
    if sign or git.config_bool("tag.gpgSign"):
        problem = readiness.signing_problem(git)
        if problem:
            check.fail("tag signing", problem)
        else:
            check.ok("tag signing", "a signing key and program are set")


def _check_up_to_date(
    git: Git, check: _Checker, remote: str, branch: str, *, head: str, refs: RemoteRefs
) -> None:
    name = "up to date with the remote"
    theirs = refs.heads.get(branch)
    if theirs is None:
        check.ok(name, f"{remote!r} has no branch {branch!r} yet; the push creates it")
        return
    if theirs == head:  # the usual case: no need to ask git to count anything
        check.ok(name, f"not behind {remote}/{branch}")
        return
    if not git.has_commit(theirs):
        try:
            git.fetch_branch(remote, branch)
        except GitError as exc:
            check.fail(name, f"{exc}; check the network and run again")
            return
        if not git.has_commit(theirs):
            check.fail(name, f"{remote}/{branch} moved while checking; run again")
            return
    ahead, behind = git.ahead_behind(head, theirs)
    upstream = f"{remote}/{branch}"
    if behind and ahead:
        check.fail(
            name,
            f"the branch has diverged from {upstream} ({ahead} local, {behind} remote "
            f"commit(s)); run '{command('git', 'pull', '--rebase', remote, branch)}' first",
        )
    elif behind:
        check.fail(
            name,
            f"the branch is {behind} commit(s) behind {upstream}; "
            f"run '{command('git', 'pull', remote, branch)}' first",
        )
    else:
        extra = f"; {ahead} local commit(s) ship with the release" if ahead else ""
        check.ok(name, f"not behind {upstream}{extra}")


# --- applying -----------------------------------------------------------------------------


class _Interrupts:
    """Hold Ctrl-C back while a step runs; `check` raises it between steps."""

    def __init__(self) -> None:
        self.pending = False

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.pending = True

    @contextmanager
    def deferred(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        old = signal.signal(signal.SIGINT, self._handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, old)

    def check(self) -> None:
        if self.pending:
            raise KeyboardInterrupt


def release(root: Path, options: Options, out: Out) -> Plan:
    """Run a release in the repository at `root` (see the module docstring)."""
    git = Git(root)
    if options.dry_run:
        return _run(git, root, options, out)
    with release_lock(git.common_dir):
        return _run(git, root, options, out)


def status(root: Path, options: Options, out: Out) -> Plan:
    """Print what a release right now would do, and every check; changes nothing."""
    git = Git(root)
    plan = make_plan(git, root, options)
    out(f"version: {plan.current}")
    out(f"last release tag: {plan.last_tag or 'none'}")
    since = git.count(f"{plan.last_tag}..HEAD" if plan.last_tag else "HEAD")
    out(f"commits since {plan.last_tag or 'the first commit'}: {since}")
    log_path = changelog_path(plan.project.root, plan.project.config)
    if plan.fragments is not None:
        _show_fragments(plan.fragments, plan.project.root, out)
    elif log_path.is_file():
        text = decode(log_path, read_bytes(log_path))
        entries = changelog.has_unreleased_entries(text, fmt=changelog.format_of(log_path))
        out(f"unreleased changelog entries: {'yes' if entries else 'no'}")
    else:
        out(f"unreleased changelog entries: no changelog {plan.project.config.changelog!r}")
    out(f"release {options.target} now: {plan.current} -> {plan.new} (tag {plan.tag})")
    for warning in plan.warnings:
        out(f"warning: {warning}")
    for check in plan.checks:
        out(check.line())
    if plan.failures:
        msg = f"a release now would be refused: {len(plan.failures)} check(s) failed (above)"
        raise ReleaseError(msg)
    out("ready to release")
    return plan


def _show_fragments(found: FragmentPlan, root: Path, out: Out) -> None:
    out(f"changelog: {found.tool.describe()}")
    out(f"unreleased news fragments: {len(found.consumed)}")
    if found.build is not None and found.build.inserted.strip():
        out(f"{found.tool.name} would write:")
        for line in found.build.inserted.strip("\n").splitlines():
            out(f"    | {line}")


def _run(git: Git, root: Path, options: Options, out: Out) -> Plan:
    plan = make_plan(git, root, options)
    out(plan.headline())
    for warning in plan.warnings:
        out(f"warning: {warning}")
    if options.dry_run:
        for check in plan.checks:
            out(check.line())
        if plan.failures:
            # Never "would write ...": a release with failed checks writes nothing at all.
            out(
                f"dry run: the release would stop here, {len(plan.failures)} check(s) failed "
                "(above); nothing would be written, committed, tagged or pushed"
            )
            raise ChecksFailedError(plan.failures)
        for action in plan.actions:
            out(action.describe(dry_run=True))
        if options.push and plan.refspecs:
            out(f"would push {plan.branch} and {plan.tag} to {plan.remote} in one atomic push")
            out(f"would verify that {plan.remote} has both at the expected commits")
    if plan.failures:
        raise ChecksFailedError(plan.failures)
    if options.dry_run:
        out("dry run: nothing was changed")
        return plan
    out(f"checks passed ({len(plan.checks)})")
    _apply(git, plan, out)
    return plan


def _apply(git: Git, plan: Plan, out: Out) -> None:
    interrupts = _Interrupts()
    with interrupts.deferred():
        done: list[Action] = []
        step = "starting"
        try:
            for action in plan.actions:
                interrupts.check()
                step = action.describe(dry_run=False)
                out(step)
                done.append(action)  # before apply: its undo also cleans up a half-done step
                action.apply(git)
            interrupts.check()
            if plan.options.push:
                step = f"pushing {plan.branch} and {plan.tag} to {plan.remote} (atomic)"
                out(step)
                _push(git, plan)
        except (KeyboardInterrupt, GitError, WriteError, VersionPlaceError) as exc:
            _undo(git, done, out)
            if isinstance(exc, KeyboardInterrupt) or interrupts.pending:
                msg = f"interrupted while {step}; the release was undone, nothing was changed"
                raise ReleaseInterruptedError(msg) from None
            msg = f"failed while {step}: {exc}; the release was undone, nothing was changed"
            raise ReleaseError(msg) from None
        if plan.options.push:
            _verify(git, plan, out)
    if interrupts.pending:
        out("interrupt received after the push was confirmed; the release is complete")
    out(f"released {plan.new}" + ("" if plan.options.push else " locally (not pushed)"))


def _push(git: Git, plan: Plan) -> None:
    try:
        git.push_atomic(plan.remote, plan.refspecs)
    except GitError as failure:
        # The push command failed. An atomic push changes all refs or none; make sure.
        try:
            found = _remote_release_refs(git, plan)
        except GitError:
            found = None
        expected = _expected(git, plan)
        if found == expected:
            return  # the push did arrive: the release stands
        if found is not None and any(found[key] == expected[key] for key in expected):
            raise _incomplete(plan, f"{failure}; the remote has only part of the release") from None
        raise


def _expected(git: Git, plan: Plan) -> dict[str, str]:
    return {
        "branch": git.run("rev-parse", f"refs/heads/{plan.branch}").strip(),
        "tag": git.run("rev-parse", f"refs/tags/{plan.tag}").strip(),
    }


def _remote_release_refs(git: Git, plan: Plan) -> dict[str, str | None]:
    refs = git.remote_refs(plan.remote)
    return {"branch": refs.heads.get(plan.branch), "tag": refs.tags.get(plan.tag or "")}


def _verify(git: Git, plan: Plan, out: Out) -> None:
    expected = _expected(git, plan)
    try:
        found = _remote_release_refs(git, plan)
    except GitError as exc:
        raise _incomplete(plan, f"the push was sent but could not be verified ({exc})") from None
    if found != expected:
        raise _incomplete(
            plan,
            f"{plan.remote} has {plan.branch} at {found['branch']} and {plan.tag} at "
            f"{found['tag']}, expected {expected['branch']} and {expected['tag']}",
        )
    out(f"verified: {plan.remote} has {plan.branch} at {expected['branch'][:12]} and {plan.tag}")


def _incomplete(plan: Plan, what: str) -> PushedButIncompleteError:
    return PushedButIncompleteError(
        f"{what}; the local release commit and tag {plan.tag!r} are kept. Next: check "
        f"'{command('git', 'ls-remote', plan.remote)}', then push what is missing with "
        f"'{command('git', 'push', '--atomic', plan.remote, plan.branch, plan.tag or '')}'"
    )


def _undo(git: Git, done: Sequence[Action], out: Out) -> None:
    """Undo `done`, newest first; if an undo fails, say exactly what is left to do by hand."""
    for action in reversed(done):
        try:
            action.undo(git)
        except (GitError, WriteError, OSError) as exc:
            msg = (
                f"undoing {action.describe(dry_run=False)!r} failed ({exc}); restore by hand: "
                "'git status' and 'git log' show what is left"
            )
            raise ReleaseError(msg) from None
    git.try_run("update-index", "-q", "--refresh")
    if done:
        out("undone: files, commit and tag restored to where they were")


def _releases(names: Iterable[str], project: Project) -> dict[str, Version]:
    """The release tags among `names` (non-release tags ignored), each with its version."""
    found = {}
    for name in names:
        version = tags.release_version(name, project.prefix.prefix, project.tag_source)
        if version is not None:
            found[name] = version
    return found
