"""Changelog entries drafted from the commits since the last release tag.

Conventional Commits types map to Keep a Changelog categories (the table is in
``docs/changelog.md``). Only the commits since the last release tag are read, with one
``git describe`` and one ``git log`` call, so the cost does not grow with the history.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from releasekit.changelog import CATEGORIES, Category
from releasekit.errors import GitError, TagError
from releasekit.git import Git
from releasekit.versions import version_from_tag

# Types that describe a change users can see. The LEFT_OUT types are internal; any other
# subject (not a Conventional Commit, or an unknown type) goes to Changed as it is.
TYPE_CATEGORIES: Final[dict[str, Category]] = {
    "feat": "added",
    "feature": "added",
    "add": "added",
    "fix": "fixed",
    "bugfix": "fixed",
    "perf": "changed",
    "change": "changed",
    "revert": "changed",
    "deprecate": "deprecated",
    "remove": "removed",
    "security": "security",
    "sec": "security",
}
LEFT_OUT: Final = frozenset(
    {"docs", "doc", "style", "test", "tests", "build", "ci", "chore", "refactor", "release"}
)
_HEADER: Final = re.compile(
    r"(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?: (?P<text>.+)"
)
_MAX_SKIPPED_TAGS: Final = 20


@dataclass(frozen=True)
class Commit:
    """One commit: its full hash, subject line and the rest of its message."""

    sha: str
    subject: str
    body: str = ""


@dataclass(frozen=True)
class Entry:
    """A proposed changelog entry and the commit it comes from."""

    category: Category
    text: str
    sha: str


@dataclass(frozen=True)
class Draft:
    """Proposed entries since the last release tag (None: no tag, the whole history)."""

    since: str | None
    commits: int
    entries: tuple[Entry, ...]
    left_out: int

    def markdown(self, *, level: int = 3) -> str:
        """The entries as Keep a Changelog subsections, in the conventional order."""
        blocks = []
        for category in CATEGORIES:
            texts = [entry.text for entry in self.entries if entry.category == category]
            if texts:
                lines = "\n".join(f"- {text}" for text in texts)
                blocks.append(f"{'#' * level} {category.capitalize()}\n\n{lines}\n")
        return "\n".join(blocks)


def classify(commit: Commit) -> Entry | None:
    """The entry a commit proposes, or None when its type is left out of changelogs."""
    subject = commit.subject.strip()
    if not subject or subject.startswith(("fixup!", "squash!", "amend!")):
        return None
    match = _HEADER.fullmatch(subject)
    if match is None:
        return Entry(category="changed", text=_sentence(subject), sha=commit.sha)
    kind = match.group("type").lower()
    scope = (match.group("scope") or "").strip()
    breaking = bool(match.group("bang")) or _breaking_footer(commit.body)
    category = TYPE_CATEGORIES.get(kind)
    if kind == "fix" and scope.lower() == "security":
        category = "security"
    if category is None and kind in LEFT_OUT:
        if not breaking:
            return None
        category = "changed"  # a breaking change is never left out
    if category is None:  # not a type we know: keep the subject as it is
        return Entry(category="changed", text=_sentence(subject), sha=commit.sha)
    text = _sentence(match.group("text").strip())
    if scope and scope.lower() != "security":
        text = f"{text} ({scope})"
    if breaking:
        text = f"**Breaking:** {text}"
    return Entry(category=category, text=text, sha=commit.sha)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _breaking_footer(body: str) -> bool:
    return any(
        line.startswith(("BREAKING CHANGE:", "BREAKING-CHANGE:")) for line in body.splitlines()
    )


def entries(commits: Iterable[Commit]) -> tuple[list[Entry], int]:
    """Proposed entries (oldest first, duplicates dropped) and how many commits were left out."""
    found: list[Entry] = []
    seen: set[tuple[str, str]] = set()
    left_out = 0
    for commit in commits:
        entry = classify(commit)
        if entry is None:
            left_out += 1
        elif (entry.category, entry.text) not in seen:
            seen.add((entry.category, entry.text))
            found.append(entry)
    return found, left_out


def last_release_tag(git: Git, *, tag_prefix: str = "v", rev: str = "HEAD") -> str | None:
    """The nearest release tag reachable from `rev` (one ``git describe``), or None."""
    pattern = _glob_escape(tag_prefix) + "[0-9]*"
    excluded: list[str] = []
    for _ in range(_MAX_SKIPPED_TAGS):
        args = ["describe", "--tags", "--abbrev=0", f"--match={pattern}"]
        args += [f"--exclude={_glob_escape(tag)}" for tag in excluded]
        out = git.try_run(*args, rev)
        if out is None:  # no matching tag is reachable: the first release
            return None
        tag = out.strip()
        try:
            version_from_tag(tag, prefix=tag_prefix)
        except TagError:
            excluded.append(tag)  # e.g. "v2-docs": matches the pattern, not a release tag
            continue
        return tag
    msg = f"more than {_MAX_SKIPPED_TAGS} tags near {rev!r} look like release tags but are not"
    raise GitError(msg)


def commits_since(git: Git, tag: str | None, *, rev: str = "HEAD") -> list[Commit]:
    """The non-merge commits after `tag` up to `rev`, oldest first (one ``git log``)."""
    span = f"{tag}..{rev}" if tag else rev
    # NUL ends each record: a commit message cannot contain one.
    out = git.run("log", "-z", "--no-merges", "--reverse", "--format=%H%n%B", span, "--")
    commits = []
    for record in out.split("\0"):
        sha, _, message = record.strip("\n").partition("\n")
        if sha:
            first, _, body = message.strip().partition("\n\n")
            subject = " ".join(first.split("\n"))  # as git's %s: the first paragraph
            commits.append(Commit(sha=sha, subject=subject, body=body.strip()))
    return commits


def draft(git: Git, *, tag_prefix: str = "v", rev: str = "HEAD") -> Draft:
    """Propose changelog entries for the commits since the last release tag."""
    if git.try_run("rev-parse", "--quiet", "--verify", f"{rev}^{{commit}}") is None:
        msg = f"{rev!r} names no commit; commit something first"
        raise GitError(msg)
    tag = last_release_tag(git, tag_prefix=tag_prefix, rev=rev)
    commits = commits_since(git, tag, rev=rev)
    found, left_out = entries(commits)
    return Draft(since=tag, commits=len(commits), entries=tuple(found), left_out=left_out)


def _glob_escape(text: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in text)
