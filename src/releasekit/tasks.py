"""The invoke collection: every releasekit task, shared by `invoke` and `releasekit`.

Each task parses its arguments, calls the library, and prints. Errors from the library
become one line on stderr and the exit code documented in `releasekit.errors`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec, TypeVar

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import Task, task

from releasekit import versions
from releasekit.config import Config, find_root, load_config
from releasekit.errors import ConfigError, ReleasekitError, TagMismatchError
from releasekit.files import apply_edits
from releasekit.project import load_project, version_edits

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(body: Callable[P, R]) -> Callable[P, R]:
    """Turn a ReleasekitError into one line on stderr and its exit code (no traceback)."""

    @functools.wraps(body)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if any(value in _HELP_FLAGS for value in (*args[1:], *kwargs.values())):
            # invoke hands `--help` to a task whose positional argument is still missing
            # (`releasekit bump --help`); show the task's help as `releasekit --help bump`.
            _print_help(body.__name__)
        try:
            return body(*args, **kwargs)
        except ReleasekitError as exc:
            raise Exit(f"releasekit: error: {exc}", code=exc.exit_code) from None
        except KeyboardInterrupt:
            raise Exit("releasekit: interrupted", code=130) from None

    return wrapper


_HELP_FLAGS = ("--help", "-h")


_HELP: dict[str, dict[str, str]] = {}


def command(
    *,
    help: dict[str, str] | None = None,
    **options: Any,  # noqa: ANN401 - invoke's names
) -> Callable[[Callable[..., None]], Task[Any]]:
    """`invoke.task` for releasekit: errors reported as one line, `--help` always works."""

    def decorate(body: Callable[..., None]) -> Task[Any]:
        _HELP[body.__name__] = dict(help or {})
        made: Task[Any] = task(help=dict(help or {}), **options)(reports_errors(body))
        return made

    return decorate


def _print_help(name: str) -> NoReturn:
    from releasekit.cli import program  # noqa: PLC0415 - cli imports this module

    # invoke consumes each task's help dict when it parses; give it back for a second parse.
    for each in ns.tasks.values():
        each.help = dict(_HELP.get(each.body.__name__, {}))
    program.run(["releasekit", "--help", name.replace("_", "-")])
    raise Exit(code=0)


def _out(line: str) -> None:
    print(line, flush=True)


def _config_or_default() -> Config:
    try:
        return load_config(find_root())
    except ConfigError:
        return Config()


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
    current = project.version
    if str(tagged) != str(current):
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
        for place in project.places:
            print(f"  {place.label(project.root)}: {place.value}", file=sys.stderr)


@command(
    help={
        "target": "major, minor, patch, alpha, beta, rc, post, dev, release, or a version",
        "pre": "with major/minor/patch: start a pre-release (alpha, beta or rc)",
        "dry_run": "print what would change and change nothing",
    }
)
def bump(c: Context, target: str, pre: str | None = None, dry_run: bool = False) -> None:
    """Write a new version into every place that holds it."""
    project = load_project(find_root())
    current = project.version
    new = versions.next_version(current, target, pre=pre)
    verb = "would change" if dry_run else "changing"
    for place in project.places:
        _out(f"{verb} {place.label(project.root)}: {place.value} -> {new}")
    edits = version_edits(project.places, new)
    if not dry_run:
        apply_edits(edits)
    _out(f"{'would bump' if dry_run else 'bumped'} {current} -> {new}")


ns = Collection(tag_version, check_tag, version, bump)
