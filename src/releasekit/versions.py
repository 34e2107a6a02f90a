"""Release tags, PEP 440 versions, and how a version moves forward.

The tag rules (the contract; the README repeats them):

1. A release tag is the tag prefix (default ``v``, may be empty) followed by a version.
   The prefix is matched exactly and case-sensitively.
2. What follows the prefix must start with a digit and parse as PEP 440 (``packaging``);
   the canonical form is ``str(Version(...))``: ``v1.0.0-alpha`` names ``1.0.0a0``.
3. Refused although ``packaging`` parses them: a local version (``+build.5``), a hyphen
   followed by a number (``1.0.0-1``: SemVer reads a pre-release, PEP 440 a post-release),
   and any whitespace.
4. Everything PEP 440 refuses is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, Literal, get_args

from packaging.version import InvalidVersion, Version

from releasekit.errors import TagError, VersionError

Part = Literal["major", "minor", "patch", "alpha", "beta", "rc", "post", "dev", "release"]
PreKind = Literal["alpha", "beta", "rc"]
PARTS: Final[tuple[str, ...]] = get_args(Part)
PRE_KINDS: Final[tuple[str, ...]] = get_args(PreKind)
_PRE_LETTER: Final[dict[str, str]] = {"alpha": "a", "beta": "b", "rc": "rc"}
_DIGITS: Final = "0123456789"
# Only a fast path for the usual release tag (1.2.3); every winner is parsed by packaging.
_PLAIN_RELEASE: Final = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def version_from_tag(tag: str, *, prefix: str = "v") -> Version:
    """Return the PEP 440 version that the release tag `tag` names, under the tag rules."""
    if any(char.isspace() for char in tag):
        msg = f"tag {tag!r} contains whitespace; a release tag is {prefix!r} + a version"
        raise TagError(msg)
    if not tag.startswith(prefix):
        msg = f"tag {tag!r} does not start with the tag prefix {prefix!r} (case-sensitive)"
        raise TagError(msg)
    rest = tag[len(prefix) :]
    if not rest or rest[0] not in _DIGITS:
        msg = f"tag {tag!r}: the version after the prefix {prefix!r} must start with a digit"
        raise TagError(msg)
    if "+" in rest:
        msg = f"tag {tag!r} has a local version or build metadata ('+...'); PyPI refuses those"
        raise TagError(msg)
    if any(part[:1] in tuple(_DIGITS) for part in rest.split("-")[1:]):
        msg = (
            f"tag {tag!r} is ambiguous: a hyphen before a bare number is a pre-release in "
            f"SemVer but a post-release in PEP 440; write {prefix}X.Y.Z.postN or {prefix}X.Y.Z-rc.N"
        )
        raise TagError(msg)
    try:
        return Version(rest)
    except InvalidVersion:
        msg = f"tag {tag!r}: {rest!r} is not a valid PEP 440 version"
        raise TagError(msg) from None


def latest_release_tag(names: Iterable[str], prefix: str) -> tuple[str, Version] | None:
    """The release tag among `names` with the highest version, and that version (or None)."""
    # Most release tags are plain numbers (v1.2.3): compare those as tuples of ints, which
    # orders them as PEP 440 does (1.0 and 1.0.0 aside, which are equal), and parse only
    # the winner and the other tags: 2,000 tags cost 2 ms instead of 20.
    plain: tuple[tuple[int, ...], str] | None = None
    best: tuple[str, Version] | None = None
    for name in names:
        rest = name[len(prefix) :]
        if name.startswith(prefix) and _PLAIN_RELEASE.fullmatch(rest):
            key = tuple(int(part) for part in rest.split("."))
            if plain is None or key > plain[0]:
                plain = (key, name)
            continue
        try:
            version = version_from_tag(name, prefix=prefix)
        except TagError:
            continue  # not a release tag under the prefix
        if best is None or version > best[1]:
            best = (name, version)
    if plain is not None:
        version = version_from_tag(plain[1], prefix=prefix)
        if best is None or version > best[1]:
            best = (plain[1], version)
    return best


def tag_for_version(version: Version, *, prefix: str = "v") -> str:
    """Return the release tag for `version`: the prefix and the canonical version."""
    return f"{prefix}{version}"


def parse_version(text: str) -> Version:
    """Parse a version given by a user (an explicit bump target): PEP 440, no local part."""
    if any(char.isspace() for char in text):
        msg = f"version {text!r} contains whitespace"
        raise VersionError(msg)
    try:
        version = Version(text)
    except InvalidVersion:
        msg = f"{text!r} is not a valid PEP 440 version (nor one of: {', '.join(PARTS)})"
        raise VersionError(msg) from None
    if version.local is not None:
        msg = f"version {text!r} has a local part ('+{version.local}'); PyPI refuses those"
        raise VersionError(msg)
    return version


def next_version(current: Version, target: str, *, pre: str | None = None) -> Version:
    """Return the version after `current` named by `target`: a PART or an explicit version."""
    if pre is not None and pre not in PRE_KINDS:
        msg = f"--pre {pre!r} is not one of: {', '.join(PRE_KINDS)}"
        raise VersionError(msg)
    if target in PARTS:
        return bump(current, target, pre=pre)  # type: ignore[arg-type]
    if pre is not None:
        msg = "--pre goes with major, minor or patch, not with an explicit version"
        raise VersionError(msg)
    new = parse_version(target)
    if new <= current:
        msg = f"new version {str(new)!r} is not greater than the current version {str(current)!r}"
        raise VersionError(msg)
    return new


def bump(current: Version, part: Part, *, pre: str | None = None) -> Version:
    """Return `current` moved forward by `part` (see the README's bump table)."""
    if pre is not None and part not in ("major", "minor", "patch"):
        msg = f"--pre goes with major, minor or patch, not with {part!r}"
        raise VersionError(msg)
    if part in ("major", "minor", "patch"):
        new = _bump_release(current, part)
        if pre is not None:
            new = _build(current.epoch, new.release, pre=(_PRE_LETTER[pre], 1))
            if new <= current:
                msg = (
                    f"{current} is already a pre-release of {new.base_version}; use "
                    f"'bump {pre}' for the next one or 'bump release' for the final"
                )
                raise VersionError(msg)
        return new
    if part in PRE_KINDS:
        return _bump_pre(current, part)
    if part == "post":
        return _bump_post(current)
    if part == "dev":
        return _bump_dev(current)
    return _bump_final(current)


def _build(
    epoch: int,
    release: tuple[int, ...],
    *,
    pre: tuple[str, int] | None = None,
    post: int | None = None,
    dev: int | None = None,
) -> Version:
    text = f"{epoch}!" if epoch else ""
    text += ".".join(str(n) for n in release)
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return Version(text)


def _bump_release(current: Version, part: str) -> Version:
    major, minor, micro = (*current.release, 0, 0)[:3]
    # A pre-release or dev release of X.Y.Z finishes as X.Y.Z when that is where `part`
    # leads (npm's rule: `minor` on 1.3.0rc1 is 1.3.0); otherwise the part goes up by one.
    if part == "major":
        finished, increased = (major, 0, 0), (major + 1, 0, 0)
    elif part == "minor":
        finished, increased = (major, minor, 0), (major, minor + 1, 0)
    else:
        finished, increased = (major, minor, micro), (major, minor, micro + 1)
    candidate = _build(current.epoch, finished)
    if candidate > current:
        return candidate
    return _build(current.epoch, increased)


def _bump_pre(current: Version, kind: str) -> Version:
    letter = _PRE_LETTER[kind]
    if current.pre is None:
        if current.dev is not None and current.post is None:
            return _build(current.epoch, current.release, pre=(letter, 1))
        msg = (
            f"{current} is a final release; '{kind}' needs a base part, "
            f"e.g. 'bump minor --pre {kind}'"
        )
        raise VersionError(msg)
    order = ("a", "b", "rc")
    have, number = current.pre
    if order.index(letter) < order.index(have):
        msg = f"'{kind}' on {current} would go backwards ({have} comes after {letter})"
        raise VersionError(msg)
    if letter != have:
        return _build(current.epoch, current.release, pre=(letter, 1))
    if current.dev is not None and current.post is None:
        return _build(current.epoch, current.release, pre=(have, number))
    return _build(current.epoch, current.release, pre=(have, number + 1))


def _bump_post(current: Version) -> Version:
    if current.dev is not None:
        if current.post is None:
            msg = f"{current} is a development release; release it before a post-release"
            raise VersionError(msg)
        return _build(current.epoch, current.release, pre=current.pre, post=current.post)
    post = 1 if current.post is None else current.post + 1
    return _build(current.epoch, current.release, pre=current.pre, post=post)


def _bump_dev(current: Version) -> Version:
    if current.dev is not None:
        return _build(
            current.epoch, current.release, pre=current.pre, post=current.post, dev=current.dev + 1
        )
    if current.post is not None:
        return _build(current.epoch, current.release, pre=current.pre, post=current.post + 1, dev=0)
    if current.pre is not None:
        letter, number = current.pre
        return _build(current.epoch, current.release, pre=(letter, number + 1), dev=0)
    return _build(current.epoch, _bump_release(current, "patch").release, dev=0)


def _bump_final(current: Version) -> Version:
    if current.pre is None and current.dev is None:
        msg = f"{current} is already a final release; 'release' drops pre-release and dev parts"
        raise VersionError(msg)
    if current.pre is None:
        return _build(current.epoch, current.release, post=current.post)
    return _build(current.epoch, current.release)
