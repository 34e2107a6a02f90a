"""The release transaction: plan, check everything, apply from a journal, push, verify.

A release is a `Plan`: the new version, the file edits, and the journal it would write
(`releasekit.journal`), whose steps (`releasekit.steps`) each describe themselves ("would
tag ..." / "tagging ..."). Every check runs before the first change, and all failures are
reported together. The journal is written before the first change; any failure, exception
or signal (SIGINT, SIGTERM, SIGHUP: `releasekit.interrupts`) before the push is confirmed
undoes everything (`releasekit.recovery`): files first, never over someone else's bytes,
then the tag, the branch and the index. After SIGKILL or a crash the journal stays, and
`release --continue` / `release --abort` finish or undo the release.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from releasekit import changelog, interrupts, readiness, tags, versions
from releasekit.changelog.fragments import FragmentPlan, FragmentTool, plan_fragments
from releasekit.changelog.fragments import detect as detect_tool
from releasekit.config import changelog_path
from releasekit.errors import (
    ChangelogError,
    ChecksFailedError,
    GitError,
    PushedButIncompleteError,
    ReleaseError,
    ReleaseHangupError,
    ReleaseInterruptedError,
    ReleasekitError,
    ReleaseTerminatedError,
    UsageError,
    VersionPlaceError,
    WriteError,
    command,
)
from releasekit.files import FileEdit, decode, display_path, read_bytes
from releasekit.git import Git, RemoteRefs, public_url
from releasekit.interrupts import Stopped
from releasekit.journal import ABORT, CONTINUE, FileRecord, Journal, encode, refuse_if_pending
from releasekit.journal import load as load_journal
from releasekit.lock import release_lock
from releasekit.project import Project, load_project, version_edits
from releasekit.recovery import (
    check_remote_before_undo,
    clean_temporaries,
    clear_stale_git,
    finish,
    fresh_progress,
    undo,
    verify,
)
from releasekit.steps import Context, Out, Step, observe, steps_for


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
    journal: Journal | None = None  # what applying would record; None when nothing to do
    summary: str = ""
    fragments: FragmentPlan | None = None

    @property
    def actions(self) -> list[Step]:
        """The local steps, in order (push and verify follow when pushing)."""
        return steps_for(self.journal, self.summary) if self.journal is not None else []

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
    reachable: Container[str],
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
    project: Project,
    current: Version | None,
    releases: dict[str, Version],
    history: tags.History,
) -> str | None:
    """The real latest release on this branch: the nearest tag (tag-derived versions), else
    the highest release tag in HEAD's history that is not above the current version."""
    if project.tag_source is not None:
        return project.nearest.tag if project.nearest is not None else None
    below = {t: v for t, v in releases.items() if current is None or v <= current}
    return history.newest(below) or history.newest(releases)


@dataclass
class _Checker:
    checks: list[Check] = field(default_factory=list)

    def ok(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, ok=True, detail=detail))

    def fail(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, ok=False, detail=detail))


def _gate_changelog(  # noqa: PLR0917 - the changelog as read, and how it was read
    plan: Plan, name: str, text: str, prefix: str, fmt: str | None, doc: changelog.Document
) -> None:
    """Refuse a changelog that `changelog check` faults where the release reads or writes it.

    Problems in old sections become warnings of the plan (see changelog.gate).
    """
    try:
        warnings = changelog.gate(text, tag_prefix=prefix, fmt=fmt, document=doc)
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
    # The project's tag listing (one call, made when it was read), else list them now.
    listed = project.tag_list if project.git_problem is None else tags.all_tags(git)
    local_tags = tags.local_tags(listed, prefix)
    remote_tags = remote_refs.tags if remote_refs else {}
    releases = _releases({*local_tags, *remote_tags}, project)
    reachable = tags.History(git)
    at_head = tags.tags_at(listed, head)
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
                doc = changelog.parse(text, tag_prefix=prefix, fmt=fmt)  # once, for both
                _gate_changelog(plan, config.changelog, text, prefix, fmt, doc)
                result = changelog.promote(
                    text,
                    new,
                    document=doc,
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
        dev = versions.bump(new, "dev") if options.next_dev else None
        plan.summary = f"{current} -> {new}, changelog promoted"
        plan.journal = Journal(
            project=project.name,
            current=str(current),
            new=str(new),
            tag=tag,
            branch=branch,
            remote=remote,
            push=options.push,
            sign=options.sign,
            sign_by_config=git.config_bool("tag.gpgSign"),
            next_dev=str(dev) if dev is not None else None,
            commit_message=f"Release {new}",
            tag_message=notes or f"Release {new}",
            next_dev_message=f"Start development of {dev}" if dev is not None else None,
            fragment_tool=tool.name if consumed and tool is not None else None,
            start_head=head,
            start_branch=local_branch or "",
            start_index_tree=None,  # filled in just before the first change
            remote_branch=remote_refs.heads.get(branch) if remote_refs else None,
            remote_tag=remote_refs.tags.get(tag) if remote_refs else None,
            files=[
                *(
                    FileRecord(
                        path=display_path(edit.path, project.root),
                        before=encode(edit.before),
                        after=encode(edit.after),
                        mode=_mode(edit.path),
                    )
                    for edit in edits
                    if edit.changes
                ),
                # The news fragments a fragment tool consumed: the release removes them.
                *(
                    FileRecord(
                        path=display_path(path, project.root),
                        before=encode(read_bytes(path)),
                        after=None,
                        mode=_mode(path),
                    )
                    for path in consumed
                ),
            ],
            git_dir=git.common_dir,
        )
    return plan


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return None


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


def release(root: Path, options: Options, out: Out) -> Plan:
    """Run a release in the repository at `root` (see the module docstring)."""
    git = Git(root)
    if options.dry_run:
        refuse_if_pending(git.common_dir)
        return _run(git, root, options, out)
    with release_lock(git.common_dir):
        refuse_if_pending(git.common_dir)
        return _run(git, root, options, out)


def resume(root: Path, out: Out, *, abort: bool) -> None:
    """`release --continue` or `release --abort`: finish or undo a stopped release."""
    git = Git(root)
    with release_lock(git.common_dir):
        journal = load_journal(git.common_dir)
        if journal is None:
            flag = "--abort" if abort else "--continue"
            msg = (
                f"no stopped release to {flag[2:]} in this repository ('{flag}' has nothing to do)"
            )
            raise ReleaseError(msg)
        out(f"found: {journal.state_line()}")
        clear_stale_git(git, journal, out)
        with interrupts.guarded() as guard:
            if abort:
                _abort(git, Path(root), journal, out)
            else:
                _continue(Context(git, Path(root), journal, guard, out))


def status(root: Path, options: Options, out: Out) -> Plan:
    """Print what a release right now would do, and every check; changes nothing."""
    git = Git(root)
    refuse_if_pending(git.common_dir)
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
        if options.push and plan.journal is not None:
            out(f"would push {plan.branch} and {plan.tag} to {plan.remote} in one atomic push")
            out(f"would verify that {plan.remote} has both at the expected commits")
    if plan.failures:
        raise ChecksFailedError(plan.failures)
    if options.dry_run:
        out("dry run: nothing was changed")
        return plan
    out(f"checks passed ({len(plan.checks)})")
    if plan.journal is not None:
        _apply(git, plan, out)
    return plan


def _apply(git: Git, plan: Plan, out: Out) -> None:
    journal = plan.journal
    assert journal is not None  # noqa: S101 - _run checks
    with interrupts.guarded() as guard:
        ctx = Context(git, plan.project.root, journal, guard, out)
        journal.start_index_tree = git.index_tree()
        try:
            journal.save()  # before the first change: from here on, a crash leaves a journal
        except OSError as exc:
            msg = (
                f"cannot write the release journal {str(journal.path)!r}: {exc.strerror}; "
                "nothing was changed"
            )
            raise WriteError(msg) from None
        try:
            ctx.boundary("journal")
            finish(ctx, fresh_progress(journal), plan.summary)
        except PushedButIncompleteError:
            raise  # the journal stays: '--continue' pushes what is missing and verifies
        except BaseException as exc:
            _failed(ctx, exc)
        journal.remove()
    if guard.stopping:
        name = _signal_name(guard.signum)
        out(f"{name} received after the push was confirmed; the release is complete")
    out(f"released {plan.new}" + ("" if plan.options.push else " locally (not pushed)"))


def _failed(ctx: Context, exc: BaseException) -> None:
    """Undo after `exc`, unless the push got through (then finish); always raise if undone."""
    journal = ctx.journal
    signum = _signum(exc) or ctx.guard.signum
    step = ctx.step
    try:
        check_remote_before_undo(ctx.git, journal)
    except ReleaseError as remote:
        # The push may have arrived: never undo locally what the remote has.
        if signum is not None and not isinstance(exc, ReleasekitError | GitError):
            with contextlib.suppress(ReleasekitError):
                verify(ctx, observe(ctx.git, journal))
                return  # a signal after the push: the release is complete
        raise _stopped_error(signum, f"stopped while {step}: {remote}") from None
    done = undo(ctx.git, ctx.root, journal)
    ctx.out(done.summary())
    what = _what(exc, signum, step)
    if done.failed:
        msg = (
            f"{what}; the undo could not finish ({'; '.join(done.failed)}); put that right, "
            f"then run '{ABORT}' (the journal is kept)"
        )
    elif done.kept:
        kept = "; ".join(done.kept)
        msg = f"{what}; the release was undone except what someone else changed: {kept}"
    else:
        msg = f"{what}; the release was undone, nothing was changed"
    raise _stopped_error(signum, msg) from None


def _what(exc: BaseException, signum: int | None, step: str) -> str:
    if isinstance(exc, Stopped | KeyboardInterrupt) or signum is not None:
        if signum in (None, signal.SIGINT):
            return f"interrupted while {step}"
        return f"stopped by {_signal_name(signum)} while {step}"
    detail = str(exc) if isinstance(exc, ReleasekitError) else f"{type(exc).__name__}: {exc}"
    return f"failed while {step}: {detail}"


def _signum(exc: BaseException) -> int | None:
    if isinstance(exc, Stopped):
        return exc.signum
    if isinstance(exc, KeyboardInterrupt):
        return int(signal.SIGINT)
    return None


def _signal_name(signum: int | None) -> str:
    return signal.Signals(signum).name if signum is not None else "a signal"


def _stopped_error(signum: int | None, msg: str) -> ReleaseError:
    kinds: dict[int, type[ReleaseError]] = {int(signal.SIGINT): ReleaseInterruptedError}
    for name, kind in (("SIGTERM", ReleaseTerminatedError), ("SIGHUP", ReleaseHangupError)):
        if hasattr(signal, name):
            kinds[int(getattr(signal, name))] = kind
    return kinds.get(signum if signum is not None else -1, ReleaseError)(msg)


def _continue(ctx: Context) -> None:
    journal = ctx.journal
    branch = ctx.git.branch()
    if branch != journal.branch:
        msg = (
            f"the stopped release is on branch {journal.branch!r} but HEAD is on {branch!r}; "
            f"run '{command('git', 'switch', journal.branch)}', then '{CONTINUE}' again"
        )
        raise ReleaseError(msg)
    try:
        clean_temporaries(ctx.root, journal)
        summary = f"{journal.current} -> {journal.new}, changelog promoted"
        finish(ctx, observe(ctx.git, journal), summary)
    except PushedButIncompleteError:
        raise
    except BaseException as exc:
        signum = _signum(exc) or ctx.guard.signum
        msg = (
            f"{_what(exc, signum, ctx.step)}; the release is still stopped "
            f"{journal.stopped_at()}: run '{CONTINUE}' again or '{ABORT}'"
        )
        raise _stopped_error(signum, msg) from None
    journal.remove()
    ctx.out(f"released {journal.new}" + ("" if journal.push else " locally (not pushed)"))


def _abort(git: Git, root: Path, journal: Journal, out: Out) -> None:
    check_remote_before_undo(git, journal)
    done = undo(git, root, journal)
    out(done.summary())
    if done.failed:
        msg = (
            f"the undo of the release of {journal.new} could not finish "
            f"({'; '.join(done.failed)}); put that right, then run '{ABORT}' again"
        )
        raise ReleaseError(msg)
    if done.kept:
        out(f"aborted the release of {journal.new}; kept what others changed since (above)")
    else:
        out(f"aborted the release of {journal.new}: the repository is back where it started")


def _releases(names: Iterable[str], project: Project) -> dict[str, Version]:
    """The release tags among `names` (non-release tags ignored), each with its version."""
    found = {}
    for name in names:
        version = tags.release_version(name, project.prefix.prefix, project.tag_source)
        if version is not None:
            found[name] = version
    return found
