"""Tag rules and version bumps (src/releasekit/versions.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

from releasekit.errors import TagError, VersionError
from releasekit.versions import (
    PARTS,
    bump,
    next_version,
    parse_version,
    tag_for_version,
    version_from_tag,
)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("v1.0.0", "1.0.0"),
        ("v1.2.0", "1.2.0"),
        ("v1.0", "1.0"),
        ("v1", "1"),
        ("v1.0.0-alpha", "1.0.0a0"),
        ("v1.0.0-alpha.1", "1.0.0a1"),
        ("v1.0.0-beta.2", "1.0.0b2"),
        ("v1.2.0-rc.1", "1.2.0rc1"),
        ("v1.2.0-RC.1", "1.2.0rc1"),
        ("v1.2.0rc1", "1.2.0rc1"),
        ("v1.2.0c1", "1.2.0rc1"),
        ("v1.2.0-pre.1", "1.2.0rc1"),
        ("v1.0.0-dev.4", "1.0.0.dev4"),
        ("v1.0.0.dev4", "1.0.0.dev4"),
        ("v1.0.0.post1", "1.0.0.post1"),
        ("v1.0.0-post.1", "1.0.0.post1"),
        ("v1.0.0.rev2", "1.0.0.post2"),
        ("v2!1.0", "2!1.0"),
        ("v1.0.0a1.post2.dev3", "1.0.0a1.post2.dev3"),
        ("v01.02.03", "1.2.3"),
        ("v2026.11.23", "2026.11.23"),
    ],
)
def test_tag_maps_to_canonical_version(tag: str, expected: str) -> None:
    assert str(version_from_tag(tag)) == expected


@pytest.mark.parametrize(
    ("tag", "prefix", "expected"),
    [
        ("1.2.0", "", "1.2.0"),
        ("release-1.2.0", "release-", "1.2.0"),
        ("pkg-v1.0.0-alpha", "pkg-v", "1.0.0a0"),
    ],
)
def test_configured_prefix(tag: str, prefix: str, expected: str) -> None:
    assert str(version_from_tag(tag, prefix=prefix)) == expected


@pytest.mark.parametrize(
    ("tag", "prefix", "reason"),
    [
        ("V1.2.0", "v", "does not start with the tag prefix"),
        ("vv1.2.0", "v", "must start with a digit"),
        ("release-1.0", "v", "does not start with the tag prefix"),
        ("1.2.0", "v", "does not start with the tag prefix"),
        ("v1.2.0", "", "must start with a digit"),
        ("v", "v", "must start with a digit"),
        ("", "v", "does not start with the tag prefix"),
        ("v.1.2", "v", "must start with a digit"),
        ("v1.2.0+build.5", "v", "local version"),
        ("v1.2.0+local", "v", "local version"),
        ("v1.0.0-1", "v", "ambiguous"),
        ("v1.0.0-12", "v", "ambiguous"),
        ("v1.0.0-rc-1", "v", "ambiguous"),
        (" v1.2.0", "v", "whitespace"),
        ("v1.2.0 ", "v", "whitespace"),
        ("v1.2.0\n", "v", "whitespace"),
        ("v1.2\t.0", "v", "whitespace"),
        ("v1.0.0-alpha.beta", "v", "not a valid PEP 440"),
        ("v1.0.0-gamma", "v", "not a valid PEP 440"),
        ("v1.0.0-", "v", "not a valid PEP 440"),
        ("v1..0", "v", "not a valid PEP 440"),
        ("v1.0.0-beta+exp.sha.5114f85", "v", "local version"),
        ("v\u0661.0", "v", "must start with a digit"),
        ("v1.0\u00a0", "v", "whitespace"),
    ],
)
def test_rejected_tags(tag: str, prefix: str, reason: str) -> None:
    with pytest.raises(TagError, match=reason) as info:
        version_from_tag(tag, prefix=prefix)
    message = str(info.value)
    assert repr(tag) in message
    assert "\n" not in message


def test_ambiguous_tag_suggests_spellings() -> None:
    with pytest.raises(TagError) as info:
        version_from_tag("v1.0.0-1")
    assert "v1.0.0.post1" not in str(info.value) or "postN" in str(info.value)
    assert "X.Y.Z.postN" in str(info.value)
    assert "X.Y.Z-rc.N" in str(info.value)


@settings(max_examples=300)
@given(st.text(max_size=30))
def test_any_string_gives_a_version_or_a_clean_error(tag: str) -> None:
    try:
        version = version_from_tag(tag)
    except TagError as exc:
        assert "\n" not in str(exc)
        return
    canonical = str(version)
    assert Version(canonical) == version
    assert str(Version(canonical)) == canonical
    assert version.local is None
    assert version_from_tag(tag_for_version(version)) == version


_segments = st.integers(min_value=0, max_value=99999)
_versions = st.builds(
    lambda release, pre, post, dev: Version(
        ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
    ),
    st.lists(_segments, min_size=1, max_size=4),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), _segments),
    st.none() | _segments,
    st.none() | _segments,
)


@settings(max_examples=300)
@given(_versions, st.sampled_from(["", "v", "release-"]))
def test_canonical_tags_round_trip(version: Version, prefix: str) -> None:
    assert version_from_tag(tag_for_version(version, prefix=prefix), prefix=prefix) == version


@settings(max_examples=300)
@given(_versions, st.sampled_from(PARTS), st.none() | st.sampled_from(["alpha", "beta", "rc"]))
def test_bump_only_moves_forward(current: Version, part: str, pre: str | None) -> None:
    try:
        new = next_version(current, part, pre=pre)
    except VersionError as exc:
        assert "\n" not in str(exc)
        return
    assert new > current
    assert new.local is None


@pytest.mark.parametrize(
    ("current", "part", "pre", "expected"),
    [
        ("1.2.3", "major", None, "2.0.0"),
        ("1.2.3", "minor", None, "1.3.0"),
        ("1.2.3", "patch", None, "1.2.4"),
        ("1.2", "patch", None, "1.2.1"),
        ("1", "minor", None, "1.1.0"),
        ("1.2.3.post1", "patch", None, "1.2.4"),
        ("1.3.0rc1", "minor", None, "1.3.0"),
        ("1.3.1rc1", "minor", None, "1.4.0"),
        ("1.3.0rc1", "patch", None, "1.3.0"),
        ("2.0.0b1", "major", None, "2.0.0"),
        ("1.3.0rc1", "major", None, "2.0.0"),
        ("1.2.0.dev3", "patch", None, "1.2.0"),
        ("1.2.1.dev0", "minor", None, "1.3.0"),
        ("1.2.0.post1.dev1", "patch", None, "1.2.1"),
        ("1.2.0", "minor", "rc", "1.3.0rc1"),
        ("1.2.0", "major", "alpha", "2.0.0a1"),
        ("1.2.0", "patch", "beta", "1.2.1b1"),
        ("1.3.0b2", "minor", "rc", "1.3.0rc1"),
        ("1.3.0rc1", "rc", None, "1.3.0rc2"),
        ("1.3.0a2", "beta", None, "1.3.0b1"),
        ("1.3.0a2", "alpha", None, "1.3.0a3"),
        ("1.3.0b1", "rc", None, "1.3.0rc1"),
        ("1.3.0rc1.dev2", "rc", None, "1.3.0rc1"),
        ("1.3.0.dev0", "rc", None, "1.3.0rc1"),
        ("1.3.0rc1.post1", "rc", None, "1.3.0rc2"),
        ("1.2.0", "post", None, "1.2.0.post1"),
        ("1.2.0.post1", "post", None, "1.2.0.post2"),
        ("1.2.0.post1.dev2", "post", None, "1.2.0.post1"),
        ("1.3.0rc1", "post", None, "1.3.0rc1.post1"),
        ("1.2.0", "dev", None, "1.2.1.dev0"),
        ("1.2.0.dev3", "dev", None, "1.2.0.dev4"),
        ("1.3.0rc1", "dev", None, "1.3.0rc2.dev0"),
        ("1.2.0.post1", "dev", None, "1.2.0.post2.dev0"),
        ("1.3.0rc2", "release", None, "1.3.0"),
        ("1.3.0.dev1", "release", None, "1.3.0"),
        ("1.3.0rc1.post1", "release", None, "1.3.0"),
        ("1.2.0.post1.dev1", "release", None, "1.2.0.post1"),
        ("1!1.2.0", "minor", None, "1!1.3.0"),
    ],
)
def test_bump_table(current: str, part: str, pre: str | None, expected: str) -> None:
    assert str(next_version(Version(current), part, pre=pre)) == expected


@pytest.mark.parametrize(
    ("current", "part", "pre", "reason"),
    [
        ("1.2.0", "rc", None, "needs a base part"),
        ("1.2.0", "alpha", None, "bump minor --pre alpha"),
        ("1.3.0rc1", "beta", None, "backwards"),
        ("1.3.0b1", "alpha", None, "backwards"),
        ("1.3.0rc1", "minor", "rc", "already a pre-release"),
        ("1.2.0", "release", None, "already a final release"),
        ("1.2.0.dev1", "post", None, "development release"),
        ("1.2.0", "rc", "rc", "--pre goes with"),
        ("1.2.0", "minor", "gamma", "--pre 'gamma'"),
        ("1.2.0", "1.2.0", None, "not greater"),
        ("1.2.0", "1.1.9", None, "not greater"),
        ("1.2.0", "1.3.0+local", None, "local part"),
        ("1.2.0", "banana", None, "not a valid PEP 440"),
        ("1.2.0", "2.0.0", "rc", "--pre goes with"),
    ],
)
def test_bump_refusals(current: str, part: str, pre: str | None, reason: str) -> None:
    with pytest.raises(VersionError, match=reason):
        next_version(Version(current), part, pre=pre)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.3.0", "1.3.0"), ("1.3.0-rc.1", "1.3.0rc1"), ("v2.0", "2.0"), ("1.0.0-alpha", "1.0.0a0")],
)
def test_explicit_versions_are_canonical(text: str, expected: str) -> None:
    assert str(parse_version(text)) == expected
    assert str(next_version(Version("0.9"), text)) == expected


def test_parse_version_refuses_whitespace() -> None:
    with pytest.raises(VersionError, match="whitespace"):
        parse_version("1.0 ")
    with pytest.raises(InvalidVersion):
        Version("not a version")
    assert bump(Version("0.1"), "patch") == Version("0.1.1")
