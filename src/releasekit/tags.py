"""The repository's release tags: their style, the nearest one, and the release line.

Which versions count (the contract; the README repeats it):

* A release tag is the tag prefix and a version of at least two numbers (see
  `versions`); every other tag (``latest``, ``v16`` aliases, names that do not parse,
  names the scm tool's own ``tag_regex`` refuses) is ignored.
* The *line* of a version is its first two release numbers (``1.2`` for ``1.2.4``,
  ``2026.08`` for CalVer ``2026.08.17``): projects that keep maintenance branches branch
  per minor series.
* A new version must be greater than the current version and than every release tag on
  its own line, wherever that tag is. A greater tag on another line (``2.0.0`` while
  ``1.2.4`` is released from a ``1.2.x`` branch, a stray ``3.12.13`` in a ``3.8`` project)
  is a warning that names it, never a refusal.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import subprocess
from collections.abc import Container, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from packaging.version import Version

from releasekit.errors import GitError, TagError
from releasekit.versions import version_from_tag

if TYPE_CHECKING:
    from releasekit.scm import TagSource


class Git(Protocol):
    """The read-only git queries tags need: `releasekit.git.Git` or the lighter `TagReader`."""

    def run(self, *args: str) -> str: ...

    def try_run(self, *args: str) -> str | None: ...


class TagReader:
    """Plain `git` queries for reading tags: no gitpython, so `version` starts fast."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def try_run(self, *args: str) -> str | None:
        """`git ARGS` in the work tree: its stdout, or None when git exits non-zero."""
        done = subprocess.run(
            ["git", *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout if done.returncode == 0 else None

    def run(self, *args: str) -> str:
        """`git ARGS` in the work tree: its stdout; failure raises GitError."""
        out = self.try_run(*args)
        if out is None:
            msg = f"{str(self.root)!r} is not inside a git repository ('git {args[0]}' failed)"
            raise GitError(msg)
        return out

    def is_shallow(self) -> bool:
        """Whether the repository is a shallow clone."""
        return self.run("rev-parse", "--is-shallow-repository").strip() == "true"


PREFIXES = ("v", "")
DEFAULT_PREFIX = "v"
_DESCRIBE_TRIES = 50


@dataclass(frozen=True)
class TagInfo:
    """One tag: its name, whether it is annotated, when it was made, and what it names."""

    name: str
    annotated: bool
    date: int
    object: str = ""  # the tag's own object: the annotated tag object, or the commit
    commit: str = ""  # the object it names: the commit (a tag of a tag: the inner tag)


@dataclass(frozen=True)
class PrefixChoice:
    """The tag prefix in use and how it was chosen."""

    prefix: str
    how: str  # "configured", "inferred" or "default"
    detail: str

    def note(self) -> str | None:
        """A line for people when the prefix was not configured."""
        if self.how == "configured":
            return None
        return (
            f"tag prefix {self.prefix!r} {self.how}: {self.detail}; "
            "write it down with [tool.releasekit] tag-prefix (releasekit init does)"
        )


@dataclass(frozen=True)
class Release:
    """A release tag and the version it names."""

    tag: str
    version: Version


def all_tags(git: Git) -> list[TagInfo]:
    """Every tag, newest first, with the objects it names (one git call)."""
    out = git.run(
        "for-each-ref",
        "--sort=-creatordate",
        "--format=%(refname:lstrip=2)%09%(objecttype)%09%(creatordate:unix)"
        "%09%(objectname)%09%(*objectname)",
        "refs/tags",
    )
    found = []
    for line in out.splitlines():
        name, kind, date, obj, peeled = ([*line.split("\t"), "", "", "", ""])[:5]
        when = int(date) if date.isdigit() else 0
        found.append(TagInfo(name, kind == "tag", when, obj, peeled or obj))
    # Tags made in the same second (often tags of one commit): the higher version first.
    # Only those runs of equal dates are sorted by version (parsing every tag is slow).
    ordered: list[TagInfo] = []
    for _, same in itertools.groupby(found, key=lambda tag: tag.date):
        run = list(same)
        if len(run) > 1:
            run.sort(key=_version_key, reverse=True)
        ordered.extend(run)
    return ordered


def _version_key(tag: TagInfo) -> tuple[int, Version]:
    for prefix in PREFIXES:
        version = release_version(tag.name, prefix)
        if version is not None:
            return (1, version)
    return (0, Version("0"))


class History:
    """Which tags are in HEAD's history, asked only about the tags a caller looks at.

    `git for-each-ref --merged HEAD` over every tag walks the whole history (40 ms on a
    20,000-commit repository); asked about the newest few release tags, it stops early.
    Answers are kept, so no tag is asked about twice.
    """

    _BATCH = 8  # `newest` asks about this many tags, then about all the others at once

    def __init__(self, git: Git) -> None:
        self._git = git
        self._known: dict[str, bool] = {}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.among([name])

    def among(self, names: Iterable[str]) -> set[str]:
        """Those of `names` whose commits are in HEAD's history (at most one git call)."""
        names = list(names)
        wanted = [name for name in dict.fromkeys(names) if name not in self._known]
        if wanted:
            # Tag names cannot hold glob characters, so each pattern matches its tag.
            patterns = [f"refs/tags/{name}" for name in wanted]
            out = self._git.try_run(
                "for-each-ref", "--merged", "HEAD", "--format=%(refname:lstrip=2)", *patterns
            )
            found = set((out or "").split())
            self._known.update((name, name in found) for name in wanted)
        return {name for name in names if self._known[name]}

    def newest(self, releases: Mapping[str, Version]) -> str | None:
        """The release of `releases` with the highest version in HEAD's history.

        The newest few are asked about first; the rest (sorted) only if none of them is.
        """
        top = heapq.nlargest(self._BATCH, releases, key=releases.__getitem__)
        found = self._first(top)
        if found is None and len(top) < len(releases):
            rest = sorted(releases, key=releases.__getitem__, reverse=True)[len(top) :]
            found = self._first(rest)
        return found

    def _first(self, names: list[str]) -> str | None:
        inside = self.among(names)
        return next((name for name in names if name in inside), None)


def local_tags(listed: Iterable[TagInfo], prefix: str) -> dict[str, str]:
    """The tags of `listed` whose names start with `prefix`: name -> object id."""
    return {tag.name: tag.object for tag in listed if tag.name.startswith(prefix)}


def tags_at(listed: Iterable[TagInfo], commit: str) -> set[str]:
    """The tags of `listed` that name `commit` (as `git tag --points-at` does)."""
    return {tag.name for tag in listed if tag.commit == commit}


def release_version(name: str, prefix: str, source: TagSource | None = None) -> Version | None:
    """The version `name` names when it is a release tag, else None.

    A single number (``v16``) is an alias that moves with a major version, not a release.
    """
    if source is not None and not source.matches(name):
        return None
    return _release_version(name, prefix)


@functools.lru_cache(maxsize=1 << 14)
def _release_version(name: str, prefix: str) -> Version | None:
    # Kept: a plan reads every tag's version several times (prefix, spelling, releases).
    try:
        version = version_from_tag(name, prefix=prefix)
    except TagError:
        return None
    return version if len(version.release) >= 2 else None


def choose_prefix(names_newest_first: Iterable[str], configured: str | None) -> PrefixChoice:
    """The configured prefix, else the one the newest release tags use, else ``v``."""
    if configured is not None:
        return PrefixChoice(configured, "configured", "[tool.releasekit] tag-prefix")
    counts = dict.fromkeys(PREFIXES, 0)
    newest: dict[str, str] = {}
    for name in names_newest_first:
        for prefix in PREFIXES:
            if release_version(name, prefix) is not None:
                counts[prefix] += 1
                newest.setdefault(prefix, name)
                break
    if not newest:
        return PrefixChoice(DEFAULT_PREFIX, "default", "no release tags yet")
    first = next(iter(newest.values()))
    prefix = next(p for p, tag in newest.items() if tag == first)
    if all(count == 0 for p, count in counts.items() if p != prefix):
        detail = f"all {counts[prefix]} release tag(s) use it (newest {first!r})"
    else:
        others = ", ".join(f"{n} with {p!r}" for p, n in counts.items() if p != prefix and n)
        detail = f"the newest release tag {first!r} uses it ({counts[prefix]} do; {others})"
    return PrefixChoice(prefix, "inferred", detail)


def nearest_release(git: Git, prefix: str, source: TagSource | None) -> Release | None:
    """The release tag `git describe` finds from HEAD, as the scm backends read it."""
    excluded: list[str] = []
    for _ in range(_DESCRIBE_TRIES):
        args = ["describe", "--tags", "--abbrev=0", "--match", f"{prefix}[0-9]*"]
        for name in excluded:
            args += ["--exclude", name]
        out = git.try_run(*args, "HEAD")
        if not out or not out.strip():
            return None
        name = out.strip()
        version = release_version(name, prefix, source)
        if version is not None:
            return Release(name, version)
        excluded.append(name)  # not a release tag: look further back, as the scm tool would not
    return None


def line_of(version: Version) -> tuple[int, ...]:
    """The release line: the first two release numbers."""
    return (*version.release, 0)[:2]


@dataclass
class Verdict:
    """Whether a new version goes forward, and the higher tags elsewhere."""

    failure: str | None = None
    ok: str = ""
    warnings: list[str] = field(default_factory=list)


def judge(
    new: Version,
    current: Version | None,
    releases: Mapping[str, Version],
    reachable: Container[str],
    at_head: AbstractSet[str] = frozenset(),
) -> Verdict:
    """Apply the contract above to `new` against the current version and `releases`.

    One more refusal: a higher tag on the very commit being released (HEAD) is no stray;
    the project's files were not bumped to it.
    """
    if current is not None and new <= current:
        return Verdict(
            failure=(
                f"new version {str(new)!r} is not greater than the current version "
                f"{str(current)!r}; give a greater version or a part (major, minor, patch)"
            )
        )
    on_line = {tag: v for tag, v in releases.items() if line_of(v) == line_of(new)}
    blocking = max(((v, tag) for tag, v in on_line.items() if v >= new), default=None)
    if blocking is not None:
        return Verdict(
            failure=(
                f"new version {str(new)!r} is not greater than the release tag "
                f"{blocking[1]!r} on its line {'.'.join(map(str, line_of(new)))}; "
                f"give a version greater than {str(blocking[0])!r}"
            )
        )
    on_head = sorted((v, t) for t, v in releases.items() if t in at_head and v > new)
    if on_head:
        version, tag = on_head[-1]
        return Verdict(
            failure=(
                f"HEAD is already tagged {tag!r} ({version}), higher than {new}; release a "
                f"version greater than {str(version)!r}, or move that tag if it is a mistake"
            )
        )
    verdict = Verdict()
    higher = sorted(((v, tag) for tag, v in releases.items() if v > new), reverse=True)
    for version, tag in higher[:3]:
        where = "in this branch's history" if tag in reachable else "not in this branch's history"
        verdict.warnings.append(
            f"tag {tag!r} ({version}) is higher than {new} but on another line ({where}); "
            "it does not block this release"
        )
    if len(higher) > 3:
        verdict.warnings.append(f"... and {len(higher) - 3} more higher tag(s) on other lines")
    best = max(on_line.items(), key=lambda item: item[1], default=None)
    after = f" and than {best[0]} on its line" if best else ""
    verdict.ok = f"{new} is greater than {current if current is not None else 'no version'}{after}"
    return verdict


def next_free(new: Version, taken: Iterable[Version]) -> Version:
    """The first version after `new`, counting up its last release number, that no tag has."""
    used = set(taken)
    candidate = new
    while candidate in used:
        text = f"{candidate.epoch}!" if candidate.epoch else ""
        if candidate.pre is not None:  # 1.2.0rc1 taken: 1.2.0rc2
            text += ".".join(map(str, candidate.release))
            text += f"{candidate.pre[0]}{candidate.pre[1] + 1}"
        else:
            release = (*candidate.release[:-1], candidate.release[-1] + 1)
            text += ".".join(map(str, release))
        candidate = Version(text)
    return candidate
