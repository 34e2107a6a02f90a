"""The invoke collection: every releasekit task, shared by `invoke` and `releasekit`.

Each task parses its arguments, calls the library, and prints. Errors from the library
become one line on stderr and the exit code documented in `releasekit.errors`.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import functools
import gc
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NoReturn, ParamSpec, TypeVar, cast

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.parser.argument import Argument
from invoke.tasks import Task, task
from packaging.version import Version

from releasekit import redaction, versions
from releasekit.config import Config, changelog_path, find_root, load_config, read_pyproject
from releasekit.errors import (
    ChangelogError,
    ConfigError,
    ReleasekitError,
    TagMismatchError,
    UsageError,
    VersionPlaceError,
)
from releasekit.files import FileEdit, apply_edits, decode, read_bytes
from releasekit.project import describe_places, load_project, version_edits

if TYPE_CHECKING:
    from releasekit.changelog import Category

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(body: Callable[P, R]) -> Callable[P, R]:
    """Turn a ReleasekitError into one line on stderr and its exit code (no traceback)."""

    @functools.wraps(body)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        redaction.install()  # the invoke door reaches the tasks without `cli.main`
        _freeze_start_up()
        if any(value in _HELP_FLAGS for value in (*args[1:], *kwargs.values())):
            # invoke hands `--help` to a task whose positional argument is still missing
            # (`releasekit bump --help`); show the task's help as `releasekit --help bump`.
            _print_help(body.__name__)
        try:
            result = body(*args, **kwargs)
        except ReleasekitError as exc:
            raise Exit(f"releasekit: error: {exc}", code=exc.exit_code) from None
        except KeyboardInterrupt:
            raise Exit("releasekit: interrupted", code=130) from None
        except BrokenPipeError:
            reader_gone()
        if _READER_GONE:
            raise Exit(code=BROKEN_PIPE_EXIT)
        return result

    return wrapper


@functools.cache
def _freeze_start_up() -> None:
    """Once per process: what start-up made (modules, invoke's collection) lives until exit.

    Moved out of the collector's sight (`gc.freeze`), it is not scanned again by every
    collection that a long changelog's parse triggers (-30 ms on a 16,000-line file).
    """
    gc.freeze()


BROKEN_PIPE_EXIT = 141  # 128 + SIGPIPE: what a shell reports for `git log | head`
_READER_GONE: list[bool] = []


def reader_gone(*, both: bool = False) -> None:
    """The reader of our output went away (`releasekit ... | head`): stop writing, quietly.

    Standard output (and standard error too, with `both`) goes to the null device from
    here on, so the task's work is never cut short half-way by a write; the task then
    exits with 141 instead of a traceback, or with its error's code and line on stderr.
    """
    if not _READER_GONE:
        _READER_GONE.append(True)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in (sys.stdout, sys.stderr) if both else (sys.stdout,):
            with contextlib.suppress(AttributeError, OSError, ValueError):
                os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


_HELP_FLAGS = ("--help", "-h")


_HELP: dict[str, dict[str, str]] = {}

# One short-flag scheme for every task: a letter always means the same option, and only
# these options have one (invoke would otherwise give each flag its first free letter,
# so `-d` meant --dry-run, --date or --dist depending on the task).
SHORT_FLAGS: dict[str, str] = {
    "dry_run": "n",  # as in git, make and rsync
    "verbose": "v",
    "force": "f",
    "pre": "p",
    "type": "t",
}


class ReleasekitTask(Task[Any]):
    """An invoke task with releasekit's short flags and a usage line for its arguments."""

    usage: str = ""

    def arg_opts(self, name: str, default: str, taken_names: set[str]) -> dict[str, Any]:
        """invoke's options for one parameter, with the scheme's short flag if it has one."""
        opts: dict[str, Any] = super().arg_opts(name, default, taken_names)
        letter = SHORT_FLAGS.get(name)
        if letter is not None and name not in self.positional:
            opts["names"] = [*opts["names"], letter]
        return opts


def usage_of(task: Task[Any]) -> str:
    """The arguments part of a task's usage line, e.g. `PART|VERSION`."""
    usage = getattr(task, "usage", "")
    if usage:
        return usage
    return " ".join(name.upper() for name in task.positional)


def command(
    *,
    help: dict[str, str] | None = None,
    usage: str = "",
    **options: Any,  # noqa: ANN401 - invoke's names
) -> Callable[[Callable[..., None]], Task[Any]]:
    """`invoke.task` for releasekit: errors reported as one line, `--help` always works."""
    options.setdefault("klass", ReleasekitTask)

    def decorate(body: Callable[..., None]) -> Task[Any]:
        _HELP[body.__name__] = dict(help or {})
        made: Task[Any] = task(help=dict(help or {}), auto_shortflags=False, **options)(
            reports_errors(body)
        )
        made.usage = usage  # type: ignore[attr-defined]
        return made

    return decorate


def _print_help(name: str) -> NoReturn:
    from invoke.program import Program  # noqa: PLC0415

    from releasekit import cli  # noqa: PLC0415 - cli imports this module

    # invoke consumes each task's help dict when it parses; give it back for a second parse.
    for each in ns.tasks.values():
        each.help = dict(_HELP.get(each.body.__name__, {}))
    dashed = name.replace("_", "-")
    if cli.program.running:
        cli.program.run(["releasekit", "--help", dashed])
    else:  # the invoke door: invoke's own help, as invoke users know it
        Program(namespace=ns, binary="invoke").run(["invoke", "--help", dashed])
    raise Exit(code=0)


def _out(line: str) -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:
        reader_gone()


def _writing(root: Path, *, dry_run: bool) -> contextlib.AbstractContextManager[None]:
    """The release lock for a command that writes (none for a dry run, which writes nothing)."""
    from releasekit.journal import writing  # noqa: PLC0415 - gitpython only when needed

    return contextlib.nullcontext() if dry_run else writing(root)


def _config_or_default() -> Config:
    try:
        return load_config(find_root())
    except ConfigError:
        return Config()


def _parser_is_finishing() -> bool:
    """Whether invoke's parser is checking, at the end, for missing positional arguments."""
    frame = sys._getframe(2)
    for _ in range(6):  # value <- (listcomp) <- missing_positional_args <- the parser step
        name = frame.f_code.co_name
        if name in ("complete_context", "handle"):
            return name == "complete_context"
        if frame.f_back is None:
            break
        frame = frame.f_back
    return False


class _OptionalPositional(Argument):
    """A positional argument that may be left out, which invoke does not offer.

    invoke's parser asks whether a positional argument is still empty twice: to decide that
    the next word fills it, and when parsing ends, to fail if one is. This argument is
    empty for the first question and not for the second; the task then gets None.
    """

    @property
    def value(self) -> Any:  # noqa: ANN401 - invoke's type
        """The value given, else the default; "" (not missing) once parsing ends."""
        value = super().value
        return "" if value is None and _parser_is_finishing() else value

    @value.setter
    def value(self, arg: Any) -> None:  # noqa: ANN401 - invoke's type
        self.set_value(arg, cast=True)


class _OptionalTailTask(ReleasekitTask):
    """A task whose positional arguments named in `optional_tail` may be left out."""

    optional_tail: ClassVar[tuple[str, ...]] = ("argument",)

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        """invoke's arguments, the optional tail made optional."""
        return [
            _OptionalPositional(
                names=arg.names,
                kind=arg.kind,
                default=arg.default,
                help=arg.help,
                positional=True,
                attr_name=arg.attr_name,
            )
            if arg.positional and arg.name in self.optional_tail
            else arg
            for arg in super().get_arguments(ignore_unknown_help=ignore_unknown_help)
        ]


class _OptionalTargetTask(_OptionalTailTask):
    """`release`: TARGET may be left out (for `--continue` and `--abort`)."""

    optional_tail: ClassVar[tuple[str, ...]] = ("target",)


@command(
    help={
        "tag": "the release tag, e.g. v1.2.0",
        "prefix": "tag prefix (default: [tool.releasekit] tag-prefix, else 'v')",
    }
)
def tag_version(c: Context, tag: str, prefix: str | None = None) -> None:
    """Print the canonical PEP 440 version that a release tag names."""
    prefix = _config_or_default().tag_prefix if prefix is None else prefix
    _out(str(versions.version_from_tag(tag, prefix=prefix)))


@command(help={"tag": "the release tag, e.g. v1.2.0"})
def check_tag(c: Context, tag: str) -> None:
    """Fail unless a release tag names exactly the project's current version."""
    project = load_project(find_root())
    prefix = project.config.tag_prefix
    tagged = versions.version_from_tag(tag, prefix=prefix)
    current = project.version  # tag-derived: the tag git describe finds at HEAD
    # Canonically equal strings, not only equal versions: v1.2 is not the tag of 1.2.0.
    same = str(tagged) == str(Version(str(current)))
    if not same or (project.nearest is not None and project.nearest.tag != tag):
        expected = versions.tag_for_version(current, prefix=prefix)
        msg = (
            f"tag {tag!r} names version {str(tagged)!r} but the project version is "
            f"{str(current)!r}; tag {expected!r} instead, or bump the project first"
        )
        raise TagMismatchError(msg)
    _out(str(tagged))


@command(help={"verbose": "also list every place that holds the version"})
def version(c: Context, verbose: bool = False) -> None:
    """Print the project's current version (fails if its places disagree)."""
    project = load_project(find_root())
    current = project.version
    _out(str(current))
    if verbose:
        for line in describe_places(project):
            print(f"  {line}", file=sys.stderr)


@command(
    usage="PART|VERSION",
    help={
        "target": "major, minor, patch, alpha, beta, rc, post, dev, release, or a version",
        "pre": "with major/minor/patch: start a pre-release (alpha, beta or rc)",
        "dry_run": "print what would change and change nothing",
    },
)
def bump(c: Context, target: str, pre: str | None = None, dry_run: bool = False) -> None:
    """Write a new version into every place that holds it."""
    root = find_root()
    with _writing(root, dry_run=dry_run):
        project = load_project(root)
        if project.tag_source is not None:
            msg = (
                f"the version comes from git tags ({project.tag_source.backend}): there is no "
                f"file to bump; release with 'releasekit release {target}', which tags it"
            )
            raise VersionPlaceError(msg)
        current = project.version
        new = project.spell(versions.next_version(current, target, pre=pre), like=target)
        verb = "would change" if dry_run else "changing"
        for place in project.places:
            _out(f"{verb} {place.label(project.root)}: {place.value} -> {new}")
        edits = version_edits(project.places, new)
        if not dry_run:
            apply_edits(edits)
        _out(f"{'would bump' if dry_run else 'bumped'} {current} -> {new}")


@command(
    help={
        "dry_run": "show what init found and the diffs it would apply; change nothing",
        "force": "overwrite existing tasks.py, noxfile.py or workflows that differ",
        "skip_existing": "keep existing tasks.py, noxfile.py or workflows as they are",
        "add_unreleased": "add an Unreleased section to a changelog that has none",
        "requirement": "what the generated noxfile and workflows install to get releasekit: "
        "a pin (releasekit==1.2.0), a path or a URL (default: this releasekit, if final)",
    }
)
def init(  # noqa: PLR0917 - invoke maps parameters to flags
    c: Context,
    dry_run: bool = False,
    force: bool = False,
    skip_existing: bool = False,
    add_unreleased: bool = False,
    requirement: str | None = None,
) -> None:
    """Adopt releasekit in an existing project: detect its layout, then write what it needs."""
    from releasekit.init import project_root, run_init  # noqa: PLC0415 - heavy, init only

    root = project_root()
    _out(f"releasekit init in {root}{' (dry run)' if dry_run else ''}:")
    with _writing(root, dry_run=dry_run):
        run_init(
            root,
            _out,
            dry_run=dry_run,
            force=force,
            add_unreleased=add_unreleased,
            skip_existing=skip_existing,
            requirement=requirement,
        )


@command(
    usage="PART|VERSION",
    help={
        "target": "major, minor, patch, alpha, beta, rc, post, dev, release, or a version",
        "pre": "with major/minor/patch: start a pre-release (alpha, beta or rc)",
        "dry_run": "print the whole plan and run every check; change nothing",
        "no_push": "stop after the local commit and tag",
        "date": "the changelog date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today UTC)",
        "allow_empty": "release even when the changelog's Unreleased section is empty",
        "sign": "sign the tag (also when git's tag.gpgSign is set)",
        "next_dev": "after the release commit, commit the next .dev0 version too",
        "continue": "finish a release that was stopped half-way (tag, push, verify)",
        "abort": "undo a release that was stopped half-way, back to where it started",
    },
    klass=_OptionalTargetTask,
    positional=["target"],
)
def release(  # noqa: PLR0917 - invoke maps parameters to flags
    c: Context,
    target: str | None = None,
    pre: str | None = None,
    dry_run: bool = False,
    no_push: bool = False,
    date: str | None = None,
    allow_empty: bool = False,
    sign: bool = False,
    next_dev: bool = False,
    continue_: bool = False,
    abort: bool = False,
) -> None:
    """Release: check everything, commit, tag, push atomically; undo on any failure."""
    from releasekit import release as releasing  # noqa: PLC0415 - gitpython only when needed

    if continue_ or abort:
        if target or (continue_ and abort) or dry_run or no_push or next_dev or sign or pre or date:
            msg = "'release --continue' and 'release --abort' take nothing else"
            raise UsageError(msg)
        releasing.resume(find_root(), _out, abort=abort)
        return
    if not target:
        msg = (
            f"'releasekit release' needs {usage_of(release)} (see 'releasekit release --help'), "
            "or --continue / --abort for a stopped release"
        )
        raise UsageError(msg)
    options = releasing.Options(
        target=target,
        pre=pre,
        dry_run=dry_run,
        push=not no_push,
        date=releasing.parse_date(date) if date is not None else None,
        allow_empty=allow_empty,
        sign=sign,
        next_dev=next_dev,
    )
    releasing.release(find_root(), options, _out)


@command(help={"target": "the release to check for (default: patch)"})
def status(c: Context, target: str = "patch") -> None:
    """Show the version, last tag, unreleased changes and every release check; change nothing."""
    from releasekit import release as releasing  # noqa: PLC0415 - gitpython only when needed

    releasing.status(find_root(), releasing.Options(target=target, dry_run=True), _out)


def _installer(value: str | None) -> Literal["uv", "pip"] | None:
    if value is None or value in ("uv", "pip"):
        return value  # type: ignore[return-value]
    msg = f"--installer {value!r} is not 'uv' or 'pip' (default: uv when present, else pip)"
    raise UsageError(msg)


@command(
    help={
        "clean": "remove whatever the output directory holds (after the new files pass)",
        "outdir": "where the files and SHA256SUMS go (default: dist/ in the project root)",
        "installer": "uv or pip for the isolated build environment (default: uv when present)",
    }
)
def build(
    c: Context, clean: bool = False, outdir: str | None = None, installer: str | None = None
) -> None:
    """Build the sdist and, from it, the wheel; check both; write SHA256SUMS."""
    from releasekit import build as building  # noqa: PLC0415 - the build library when needed

    result = building.build(
        find_root(),
        outdir=Path(outdir).resolve() if outdir is not None else None,
        clean=clean,
        installer=_installer(installer),
    )
    for name in result.removed:
        _out(f"removed {name}")
    for artifact in result.artifacts:
        _out(f"built {artifact.path}  sha256 {artifact.sha256}")
    if result.dirty:
        print(
            "releasekit: note: the work tree has uncommitted changes; these files are not "
            "HEAD's and another build of HEAD will differ",
            file=sys.stderr,
        )
    _out(
        f"wrote {result.sums} (SOURCE_DATE_EPOCH={result.source_date_epoch}, "
        f"installer {result.installer})"
    )


@command(
    help={
        "dist": "the directory that build wrote (default: dist/ in the project root)",
        "python": "the interpreter for the fresh venvs (default: the one running releasekit)",
        "installer": "uv or pip for the venvs (default: uv when present, else pip)",
        "group": "a [dependency-groups] group to install with the artifact (default: test)",
        "tests": "the test directory, copied out of the source tree (default: tests)",
        "pytest_args": "more pytest arguments, as one string (e.g. '-x -n 2')",
    },
    iterable=["group"],
)
def test_wheel(  # noqa: PLR0917 - invoke maps parameters to flags
    c: Context,
    dist: str | None = None,
    python: str | None = None,
    installer: str | None = None,
    group: list[str] | None = None,
    tests: str = "tests",
    pytest_args: str = "",
) -> None:
    """Install each built file in a fresh venv and run the tests against the installed copy."""
    from releasekit import wheeltest  # noqa: PLC0415 - the build library when needed

    root = find_root()
    results = wheeltest.run_artifact_tests(
        root,
        Path(dist).resolve() if dist is not None else root / "dist",
        python=python,
        installer=_installer(installer),
        groups=group or ["test"],
        tests=tests,
        pytest_args=shlex.split(pytest_args),
        stream=True,
        echo=_out,
    )
    for result in results:
        for name, where in result.locations().items():
            _out(f"passed {result.artifact.name}: {name} imported from {where}")


@command(
    help={
        "repository": "testpypi, pypi, local (an embedded index) or an upload URL "
        "(default: $TWINE_REPOSITORY_URL)",
        "index_url": "the simple index to read back from (default: derived from the repository)",
        "dist": "the directory of checked files to upload (default: dist)",
        "dry_run": "check the files, the credential and the index; upload nothing",
        "verbose": "also show the index's answers (secrets are never shown)",
        "no_install": "skip installing the release back from the index into a fresh venv",
        "check": "only plan against the index, with no credential (the release workflow's "
        "step before pypa/gh-action-pypi-publish); writes skip-existing to $GITHUB_OUTPUT",
        "tag_prefix": "the release tag prefix (default: tag-prefix in [tool.releasekit], "
        "or v where there is no pyproject.toml)",
    }
)
def publish(  # noqa: PLR0917 - invoke maps parameters to flags
    c: Context,
    repository: str | None = None,
    index_url: str | None = None,
    dist: str = "dist",
    dry_run: bool = False,
    verbose: bool = False,
    no_install: bool = False,
    tag_prefix: str | None = None,
    check: bool = False,
) -> None:
    """Upload the checked files in dist/ (skipping identical ones), read back, install back."""
    import os  # noqa: PLC0415

    from releasekit import publish as publishing  # noqa: PLC0415 - twine only when needed

    root = publishing.project_root()  # None in a job that has only the downloaded dist/
    report = publishing.run(
        root=root,
        repository=repository,
        index_url=index_url,
        dist_dir=(root or Path.cwd()) / dist,
        environ=os.environ,
        say=_out,
        warn=lambda line: print(f"releasekit: warning: {line}", file=sys.stderr, flush=True),
        dry_run=dry_run,
        verbose=verbose,
        install_check=not no_install,
        tag_prefix=tag_prefix,
        check_only=check,
    )
    if check:
        skip = publishing.skip_existing(report)
        _out(f"plan ok: nothing on the index conflicts (skip-existing: {str(skip).lower()})")
        if output := os.environ.get("GITHUB_OUTPUT"):
            with Path(output).open("a", encoding="utf-8") as stream:
                stream.write(f"skip-existing={str(skip).lower()}\n")


@command(
    help={
        "repository": "pypi, testpypi or the upload URL published to (default: "
        "$TWINE_REPOSITORY_URL)",
        "index_url": "the simple index to read (default: derived from the repository)",
        "sums": "the SHA256SUMS that build wrote (default: dist/SHA256SUMS)",
        "publisher_repository": "require attestations by this GitHub OWNER/NAME (default in "
        "GitHub Actions: this run's repository)",
        "publisher_workflow": "and this workflow file, e.g. release.yml (default in GitHub "
        "Actions: this run's workflow)",
        "verify_signatures": "also verify the Sigstore signatures (needs pypi-attestations)",
        "no_install": "skip installing the release back into a fresh venv",
        "wait": "seconds to wait for the index to list every file (default: 0)",
    }
)
def verify(  # noqa: PLR0917 - invoke maps parameters to flags
    c: Context,
    repository: str | None = None,
    index_url: str | None = None,
    sums: str | None = None,
    publisher_repository: str | None = None,
    publisher_workflow: str | None = None,
    verify_signatures: bool = False,
    no_install: bool = False,
    wait: int = 0,
) -> None:
    """Check a published release: sha256 against SHA256SUMS, attestations, install back."""
    import os  # noqa: PLC0415

    from releasekit import publish as publishing  # noqa: PLC0415
    from releasekit import verify as verifying  # noqa: PLC0415

    root = publishing.project_root() or Path.cwd()
    verifying.run(
        repository=repository,
        index_url=index_url,
        sums=Path(sums) if sums is not None else root / "dist" / "SHA256SUMS",
        environ=os.environ,
        say=_out,
        publisher_repository=publisher_repository,
        publisher_workflow=publisher_workflow,
        signatures=verify_signatures,
        install_check=not no_install,
        wait=float(wait),
    )


@command()
def doctor(c: Context) -> None:
    """Check the publishing setup (credentials, .pypirc, git, tools, workflow); upload nothing."""
    import os  # noqa: PLC0415

    from releasekit import doctor as doctoring  # noqa: PLC0415
    from releasekit.errors import ChecksFailedError  # noqa: PLC0415

    root = find_root()
    findings = doctoring.diagnose(root, load_config(root), os.environ)
    for finding in findings:
        _out(finding.line())
    failed = [f"{f.check}: {f.detail}" for f in findings if f.status == "fail"]
    if failed:
        raise ChecksFailedError(failed)


# --- the changelog ---------------------------------------------------------------------


_CHANGELOG_ACTIONS = ("promote", "check", "add", "draft")


@command(
    klass=_OptionalTailTask,
    usage="promote VERSION | check | add TEXT | draft",
    positional=["action", "argument"],
    help={
        "action": "promote VERSION | check | add TEXT | draft",
        "argument": "the VERSION to promote, or the TEXT of the entry to add",
        "date": "promote: the date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today UTC)",
        "dry_run": "promote, add: print the change as a diff and write nothing",
        "allow_empty": "promote: even when the Unreleased section has no entries",
        "type": "add: added, changed, deprecated, removed, fixed or security (default: changed)",
    },
)
def changelog(  # noqa: PLR0917 - invoke maps parameters to flags
    c: Context,
    action: str,
    argument: str | None = None,
    date: str | None = None,
    dry_run: bool = False,
    allow_empty: bool = False,
    type: str | None = None,  # the flag is --type
) -> None:
    """Edit or lint the changelog: promote VERSION, check, add TEXT, draft."""

    root = find_root()
    config = load_config(root)
    path = changelog_path(root, config)
    _check_changelog_usage(
        action, argument, date=date, dry_run=dry_run, allow_empty=allow_empty, type=type
    )
    if action == "draft":
        _changelog_draft(root, config.tag_prefix)
        return
    if _fragment_changelog(root, action, config.changelog):
        return
    writes = action in ("promote", "add") and not dry_run
    with _writing(root, dry_run=not writes):
        _changelog_edit(root, config, path, action, argument, date, dry_run, allow_empty, type)


def _changelog_edit(  # noqa: PLR0917 - the changelog task's arguments
    root: Path,
    config: Config,
    path: Path,
    action: str,
    argument: str | None,
    date: str | None,
    dry_run: bool,
    allow_empty: bool,
    type: str | None,
) -> None:
    from releasekit import changelog as log  # noqa: PLC0415

    # Read under the lock: what the edit replaces is what the file holds now.
    before, text = _read_changelog(path, missing_ok=action == "add")
    try:
        if action == "check":
            _changelog_check(config.changelog, text, config.tag_prefix)
            return
        if action == "promote":
            assert argument is not None  # noqa: S101 - checked above
            log.gate(text, tag_prefix=config.tag_prefix, fmt=log.format_of(path))
            result = log.promote(
                text,
                versions.parse_version(argument),
                date=_changelog_date(date),
                tag_prefix=config.tag_prefix,
                allow_empty=allow_empty,
                remote_url=_remote_url(root, config.remote),
                fmt=log.format_of(path),
            )
        else:
            assert argument is not None  # noqa: S101 - checked above
            result = log.add(
                text,
                argument,
                kind=_category(type),
                tag_prefix=config.tag_prefix,
                fmt=log.format_of(path),
            )
    except ChangelogError as exc:
        raise ChangelogError(f"{config.changelog}: {exc}") from None
    for warning in result.warnings:
        print(f"releasekit: warning: {warning}", file=sys.stderr, flush=True)
    _write_changelog(path, before, text, result.text, config.changelog, dry_run=dry_run)
    verb = ("would promote", "promoted") if action == "promote" else ("would add", "added")
    what = f"Unreleased to {argument} in" if action == "promote" else "the entry to"
    _out(f"{verb[0] if dry_run else verb[1]} {what} {config.changelog}")


@command(help={"version": "the version whose section to print, e.g. 1.2.0"})
def notes(c: Context, version: str) -> None:
    """Print the body of a version's changelog section (for a tag message or a release)."""
    from releasekit import changelog as log  # noqa: PLC0415

    root = find_root()
    config = load_config(root)
    if _fragment_notes(root, version, config.tag_prefix):
        return
    _, text = _read_changelog(changelog_path(root, config), missing_ok=False)
    try:
        version_ = versions.parse_version(version)
        fmt = log.format_of(config.changelog)
        _out(log.notes(text, version_, tag_prefix=config.tag_prefix, fmt=fmt))
    except ChangelogError as exc:
        raise ChangelogError(f"{config.changelog}: {exc}") from None


def _fragment_changelog(root: Path, action: str, name: str) -> bool:
    """`changelog check`, `promote` and `add` of a changelog that a fragment tool builds."""
    from releasekit import release as releasing  # noqa: PLC0415
    from releasekit.changelog import fragments  # noqa: PLC0415
    from releasekit.git import Git  # noqa: PLC0415

    tool = fragments.detect(root, read_pyproject(root))
    if tool is None:
        return False
    if action == "check":
        fragments.render_draft(tool, Git(root), root, date=releasing.release_date(None))
        _out(f"{name}: OK (built by {tool.name}; the news fragments render)")
        return True
    remedy = (
        f"add a news fragment instead ({fragments.create_hint(tool)})"
        if action == "add"
        else f"'releasekit release' runs {tool.name} and consumes the fragments"
    )
    msg = (
        f"{name} is built by {tool.name} from the news fragments in "
        f"{tool.fragment_dir}/, not edited by hand; {remedy}"
    )
    raise ChangelogError(msg)


def _fragment_notes(root: Path, version: str, tag_prefix: str) -> bool:
    """Print the notes of a project that builds its changelog with a fragment tool."""
    from releasekit import release as releasing  # noqa: PLC0415
    from releasekit.changelog import fragments  # noqa: PLC0415
    from releasekit.git import Git  # noqa: PLC0415

    tool = fragments.detect(root, read_pyproject(root))
    if tool is None:
        return False
    text, note = fragments.fragment_notes(
        tool,
        Git(root),
        root,
        versions.parse_version(version),
        tag_prefix=tag_prefix,
        date=releasing.release_date(None),
    )
    if note:
        print(f"releasekit: note: {note}", file=sys.stderr)
    _out(text)
    return True


def _check_changelog_usage(action: str, argument: str | None, **flags: str | bool | None) -> None:
    if action not in _CHANGELOG_ACTIONS:
        msg = f"unknown changelog action {action!r}; use one of: {', '.join(_CHANGELOG_ACTIONS)}"
        raise UsageError(msg)
    takes = {"promote": "a VERSION", "add": "the TEXT of the entry"}.get(action)
    if takes and argument is None:
        msg = f"'changelog {action}' needs {takes}"
        raise UsageError(msg)
    if not takes and argument is not None:
        msg = f"'changelog {action}' takes no argument, got {argument!r}"
        raise UsageError(msg)
    allowed = {"promote": {"date", "dry_run", "allow_empty"}, "add": {"type", "dry_run"}}
    for name, value in flags.items():
        if value not in (None, False) and name not in allowed.get(action, set()):
            msg = f"--{name.replace('_', '-')} does not go with 'changelog {action}'"
            raise UsageError(msg)


def _read_changelog(path: Path, *, missing_ok: bool) -> tuple[bytes | None, str]:
    if missing_ok and not path.exists():
        return None, ""
    if not path.is_file():
        msg = f"{str(path)!r} does not exist; create it, or set [tool.releasekit] changelog"
        raise ChangelogError(msg)
    before = read_bytes(path)
    return before, decode(path, before)


def _write_changelog(
    path: Path, before: bytes | None, old: str, new: str, name: str, *, dry_run: bool
) -> None:
    if dry_run:
        diff = difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), name, name
        )
        for line in diff:
            _out(line.rstrip("\r\n"))
        return
    apply_edits([FileEdit(path=path, before=before, after=new.encode("utf-8"))])


def _changelog_check(name: str, text: str, tag_prefix: str) -> None:
    from releasekit import changelog as log  # noqa: PLC0415

    findings = log.check(text, tag_prefix=tag_prefix, fmt=log.format_of(name))
    for finding in findings:
        _out(f"{name}:{finding}")
    errors = sum(finding.severity == "error" for finding in findings)
    if errors:
        msg = f"{errors} error(s), {len(findings) - errors} warning(s)"
        raise ChangelogError(msg)
    _out(f"{name}: OK ({len(findings)} warning(s))")


def _changelog_draft(root: Path, tag_prefix: str) -> None:
    from releasekit import draft  # noqa: PLC0415 - gitpython only when needed
    from releasekit.git import Git  # noqa: PLC0415

    proposal = draft.draft(Git(root), tag_prefix=tag_prefix)
    since = f"since {proposal.since}" if proposal.since else "in the whole history (no release tag)"
    print(
        f"releasekit: {proposal.commits} commit(s) {since}; {len(proposal.entries)} entr(ies) "
        f"proposed, {proposal.left_out} left out (docs, tests, chores...)",
        file=sys.stderr,
        flush=True,
    )
    if proposal.entries:
        _out(proposal.markdown().rstrip("\n"))


def _changelog_date(text: str | None) -> datetime.date:
    from releasekit import release as releasing  # noqa: PLC0415 - gitpython only when needed

    # The release task's rule: --date, else SOURCE_DATE_EPOCH, else today in UTC.
    return releasing.release_date(releasing.parse_date(text) if text is not None else None)


def _category(value: str | None) -> Category | None:
    # changelog.add refuses, by name, anything that is not a category.
    return cast("Category | None", value.lower() if value is not None else None)


def _remote_url(root: Path, remote: str) -> str | None:
    from releasekit.git import Git, public_url  # noqa: PLC0415 - gitpython only when needed

    try:
        url = Git(root).remote_url(remote)
    except ReleasekitError:
        return None
    return public_url(url) if url else None


ns = Collection(
    tag_version,
    check_tag,
    version,
    bump,
    init,
    release,
    status,
    build,
    test_wheel,
    publish,
    verify,
    doctor,
    changelog,
    notes,
)
