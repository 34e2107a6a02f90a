"""The changelog engine: exact round trips, surgical promote, notes, check, add, both doors."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GitRepo, Run, run_cli, snapshot, write_files
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from releasekit import changelog
from releasekit.changelog import Finding
from releasekit.cli import program
from releasekit.errors import ChangelogError, UsageError

FIXTURES = Path(__file__).parent / "fixtures" / "changelogs"
EXPECTED = FIXTURES / "expected"
ROOT = Path(__file__).parent.parent
DATE = datetime.date(2024, 2, 3)

# Each fixture that can be promoted, and the version its expected/ output promotes.
PROMOTE = {
    "ascending-refs.md": "1.2.0",
    "code-and-comments.md": "1.1.0",
    "first-release.md": "0.1.0",
    "inline-links.md": "2.1.0",
    "kac.md": "1.2.0",
    "no-categories.md": "0.5.0",
    "no-dates.md": "3.2.0",
    "paren-dates.md": "1.3.0",
    "prerelease.md": "2.0.0",
    "tag-links.md": "2.2.0",
    "trailing-text.md": "0.10.0",
    "unbracketed.md": "1.2.0",
    "unreleased-comment.md": "0.2.0",
    "uppercase.md": "0.4.0",
    "v-prefix.md": "1.3.0",
    "word-dates.md": "1.3.0",
}
ALL_FIXTURES = sorted(path.name for path in FIXTURES.glob("*.md"))


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def bom(text: str) -> str:
    return "\ufeff" + text


def no_final_newline(text: str) -> str:
    return text.rstrip("\n")


def trailing_spaces(text: str) -> str:
    return "".join(line.replace("\n", "  \n") for line in text.splitlines(keepends=True))


VARIANTS: dict[str, Callable[[str], str]] = {
    "lf": lambda text: text,
    "crlf": crlf,
    "bom": bom,
    "bom-crlf": lambda text: bom(crlf(text)),
    "no-final-newline": no_final_newline,
    "trailing-spaces": trailing_spaces,
}


def promote(text: str, version: str, **options: object) -> changelog.PromoteResult:
    return changelog.promote(text, Version(version), date=DATE, **options)  # type: ignore[arg-type]


# --- parsing and round trips -------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", [*ALL_FIXTURES, *(f"expected/{n}" for n in PROMOTE)])
def test_every_fixture_round_trips_byte_for_byte(name: str, variant: str) -> None:
    text = VARIANTS[variant](read(FIXTURES / name))
    assert changelog.parse(text).render() == text


@pytest.mark.parametrize(
    "text",
    ["", "\n", "\r\n", "\ufeff", "x", "a\rb\n", "line\u2028same line\x0cstill\n", "\n\n\n"],
)
def test_odd_texts_round_trip(text: str) -> None:
    doc = changelog.parse(text)
    assert doc.render() == text


def test_only_newline_ends_a_line() -> None:
    doc = changelog.parse("a\u2028b\r\nc\x0cd\ne")
    assert doc.lines == ("a\u2028b\r\n", "c\x0cd\n", "e")


def test_headings_inside_code_and_html_are_not_headings() -> None:
    doc = changelog.parse(read(FIXTURES / "code-and-comments.md"))
    titles = [heading.title for heading in doc.headings]
    assert not any("not a heading" in title or "0.0.0" in title for title in titles)
    assert [str(s.heading.version) for s in doc.releases] == ["1.0.1", "1.0.0"]


def test_an_unclosed_fence_does_not_hide_the_rest() -> None:
    text = "## [Unreleased]\n\n- a\n\n```\n# code\n\n## [1.0.0] - 2024-01-01\n\n- b\n"
    doc = changelog.parse(text)
    assert [str(s.heading.version) for s in doc.releases] == ["1.0.0"]
    assert doc.strays == ((4, "code fence '```'"),)
    assert doc.render() == text


@pytest.mark.parametrize(
    ("title", "version", "date", "bracketed"),
    [
        ("[1.2.0] - 2024-01-02", "1.2.0", "2024-01-02", True),
        ("1.2.0 - 2024-01-02", "1.2.0", "2024-01-02", False),
        ("[v1.2.0] - 2024-01-02", "1.2.0", "2024-01-02", True),
        ("v1.2.0", "1.2.0", None, False),
        ("1.2.0 (2024-01-02)", "1.2.0", "2024-01-02", False),
        ("1.2.0 - January 2, 2024", "1.2.0", "2024-01-02", False),
        ("1.2.0 - 2 Jan 2024", "1.2.0", "2024-01-02", False),
        ("1.2.0 \u2013 2nd January 2024", "1.2.0", "2024-01-02", False),
        (
            "[1.2.0](https://x.test/compare/v1.1.0...v1.2.0) - 2024-01-02",
            "1.2.0",
            "2024-01-02",
            True,
        ),
        ("[1.2.0][ref] - 2024-01-02", "1.2.0", "2024-01-02", True),
        ("[1.2.0] - 2024-01-02 [YANKED]", "1.2.0", "2024-01-02", True),
        ("[2.0.0-rc.1] - 2024-01-02", "2.0.0rc1", "2024-01-02", True),
        ("[1.0] ##", "1.0", None, True),
    ],
)
def test_release_heading_variants(
    title: str, version: str, date: str | None, bracketed: bool
) -> None:
    doc = changelog.parse(f"## [Unreleased]\n\n## {title}\n")
    (section,) = doc.releases
    assert str(section.heading.version) == version
    assert section.heading.date == (datetime.date.fromisoformat(date) if date else None)
    assert section.heading.bracketed is bracketed


@pytest.mark.parametrize(
    "title",
    [
        "[Unreleased]",
        "Unreleased",
        "[UNRELEASED]",
        "[unreleased]",
        "[Unreleased](https://github.com/o/r/compare/v1.0.0...HEAD)",
        "[Unreleased] - ReleaseDate",
        "Unreleased changes",
        "Unreleased:",
    ],
)
def test_unreleased_heading_variants(title: str) -> None:
    doc = changelog.parse(f"# Changelog\n\n## {title}\n\n- x\n\n## 1.0.0\n")
    assert [section.heading.title for section in doc.unreleased] == [title]


def test_custom_tag_prefix_in_headings() -> None:
    text = "## [Unreleased]\n\n- x\n\n## [release-1.2.0] - 2024-01-02\n\n- y\n"
    doc = changelog.parse(text, tag_prefix="release-")
    assert [str(s.heading.version) for s in doc.releases] == ["1.2.0"]


def test_release_level_follows_the_unreleased_heading() -> None:
    text = "# 2024 notes\n\n### Unreleased\n\n- x\n\n### 1.0.0\n\n- y\n"
    doc = changelog.parse(text)
    assert doc.level == 3
    assert [str(s.heading.version) for s in doc.releases] == ["1.0.0"]


# --- promote -----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["lf", "crlf", "bom", "bom-crlf", "trailing-spaces"])
@pytest.mark.parametrize(("name", "version"), PROMOTE.items())
def test_promote_matches_the_expected_file(name: str, version: str, variant: str) -> None:
    change = VARIANTS[variant]
    result = promote(change(read(FIXTURES / name)), version)
    expected = read(EXPECTED / name)
    if variant == "trailing-spaces":
        # New lines carry no trailing spaces; every old line keeps its own.
        assert result.text.replace("  \n", "\n") == expected
    else:
        assert result.text == change(expected)


@pytest.mark.parametrize(("name", "version"), PROMOTE.items())
def test_promote_keeps_every_line_outside_the_edited_regions(name: str, version: str) -> None:
    text = read(FIXTURES / name)
    assert_surgical(text, promote(text, version).text)


def assert_surgical(before: str, after: str) -> None:
    """Every old line is still there, in order, except the Unreleased heading and link."""
    doc = changelog.parse(before)
    (unreleased,) = doc.unreleased
    editable = {unreleased.heading.index}
    ref = doc.ref(unreleased.heading.label) or doc.ref("Unreleased")
    if ref is not None:
        editable.add(ref.index)
    old = [line for index, line in enumerate(doc.lines) if index not in editable]
    if old and not old[-1].endswith("\n"):  # a last line may gain the file's line ending
        old[-1] = old[-1] + "\n"
    new = changelog.parse(after + ("\n" if after and not after.endswith("\n") else "")).lines
    position = 0
    for line in new:
        if position < len(old) and line == old[position]:
            position += 1
    assert position == len(old), f"old line {old[position]!r} was lost or changed"
    assert len(new) <= len(doc.lines) + 3  # a blank line, the new heading, the new link


def test_promote_with_a_file_that_does_not_end_in_a_newline() -> None:
    text = (
        "## [Unreleased]\n\n- x\n\n## [1.0.0]\n\n- y\n\n"
        "[Unreleased]: https://h.test/o/r/compare/v1.0.0...HEAD\n"
        "[1.0.0]: https://h.test/o/r/releases/tag/v1.0.0"
    )
    result = promote(text, "1.1.0").text
    assert result.endswith("[1.0.0]: https://h.test/o/r/releases/tag/v1.0.0")
    assert "[1.1.0]: https://h.test/o/r/compare/v1.0.0...v1.1.0\n" in result


def test_promote_ascending_references_without_a_trailing_newline() -> None:
    text = (
        "## [Unreleased]\n\n- x\n\n## [1.0.0]\n\n- y\n\n"
        "[Unreleased]: https://h.test/compare/v1.0.0...HEAD\n"
        "[0.9.0]: https://h.test/releases/tag/v0.9.0\n"
        "[1.0.0]: https://h.test/compare/v0.9.0...v1.0.0"
    )
    result = promote(text, "1.1.0").text
    assert result.endswith(
        "[1.0.0]: https://h.test/compare/v0.9.0...v1.0.0\n"
        "[1.1.0]: https://h.test/compare/v1.0.0...v1.1.0"
    )


def test_promote_an_unreleased_heading_on_the_last_line() -> None:
    result = promote("# Changelog\n\n## [Unreleased]", "1.0.0", allow_empty=True)
    assert result.text == "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2024-02-03"


def test_promote_compact_file_keeps_it_compact() -> None:
    text = "## [Unreleased]\n### Added\n- x\n## [1.0.0] - 2024-01-01\n### Added\n- y\n"
    result = promote(text, "1.1.0").text
    assert result == (
        "## [Unreleased]\n## [1.1.0] - 2024-02-03\n### Added\n- x\n"
        "## [1.0.0] - 2024-01-01\n### Added\n- y\n"
    )


def test_promote_refs_inside_the_unreleased_body_move_with_it() -> None:
    text = (
        "## [Unreleased]\n\n- x\n\n[Unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD\n\n"
        "## [1.0.0]\n\n- y\n\n[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n"
    )
    result = promote(text, "1.1.0").text
    assert result.count("[Unreleased]: ") == 1
    assert "[Unreleased]: https://github.com/o/r/compare/v1.1.0...HEAD\n" in result


@pytest.mark.parametrize(
    ("remote", "unreleased", "release"),
    [
        (
            "https://github.com/example/project.git",
            "https://github.com/example/project/compare/v0.1.0...HEAD",
            "https://github.com/example/project/releases/tag/v0.1.0",
        ),
        (
            "git@github.com:example/project.git",
            "https://github.com/example/project/compare/v0.1.0...HEAD",
            "https://github.com/example/project/releases/tag/v0.1.0",
        ),
        (
            "ssh://git@gitlab.example.com:2222/group/sub/project.git",
            "https://gitlab.example.com/group/sub/project/-/compare/v0.1.0...HEAD",
            "https://gitlab.example.com/group/sub/project/-/tags/v0.1.0",
        ),
        (
            "https://user:s3cret@github.com/example/project",
            "https://github.com/example/project/compare/v0.1.0...HEAD",
            "https://github.com/example/project/releases/tag/v0.1.0",
        ),
        (
            "git@bitbucket.org:example/project.git",
            "https://bitbucket.org/example/project/branches/compare/HEAD%0Dv0.1.0",
            "https://bitbucket.org/example/project/commits/tag/v0.1.0",
        ),
        (
            "https://codeberg.org/example/project.git",
            "https://codeberg.org/example/project/compare/v0.1.0...HEAD",
            "https://codeberg.org/example/project/releases/tag/v0.1.0",
        ),
        (
            "https://dev.azure.com/org/proj/_git/project",
            "https://dev.azure.com/org/proj/_git/project/branchCompare?baseVersion=GTv0.1.0"
            "&targetVersion=GTHEAD",
            "https://dev.azure.com/org/proj/_git/project?version=GTv0.1.0",
        ),
    ],
)
def test_first_release_links_come_from_the_remote(
    remote: str, unreleased: str, release: str
) -> None:
    result = promote(read(FIXTURES / "first-release.md"), "0.1.0", remote_url=remote)
    assert result.warnings == []
    assert result.text.endswith(f"[Unreleased]: {unreleased}\n[0.1.0]: {release}\n")
    assert "s3cret" not in result.text
    assert changelog.check(result.text) == []


def test_the_files_own_link_pattern_wins_over_the_remote() -> None:
    text = read(FIXTURES / "v-prefix.md")
    result = promote(text, "1.3.0", remote_url="git@github.com:someone/else.git")
    assert result.text == read(EXPECTED / "v-prefix.md")


@pytest.mark.parametrize("remote", [None, "https://git.sr.ht/~o/r", "/srv/git/r.git"])
def test_links_are_skipped_with_a_warning_when_they_cannot_be_inferred(
    remote: str | None,
) -> None:
    result = promote(read(FIXTURES / "first-release.md"), "0.1.0", remote_url=remote)
    assert result.text == read(EXPECTED / "first-release.md")
    assert len(result.warnings) == 2
    assert all("by hand" in warning for warning in result.warnings)


def test_tag_prefix_names_the_tags_in_new_links() -> None:
    text = (
        "## [Unreleased]\n\n- x\n\n## [1.0.0]\n\n- y\n\n"
        "[Unreleased]: https://github.com/o/r/compare/release-1.0.0...HEAD\n"
        "[1.0.0]: https://github.com/o/r/releases/tag/release-1.0.0\n"
    )
    result = promote(text, "1.1.0", tag_prefix="release-").text
    assert "[Unreleased]: https://github.com/o/r/compare/release-1.1.0...HEAD\n" in result
    assert "[1.1.0]: https://github.com/o/r/compare/release-1.0.0...release-1.1.0\n" in result


def test_no_references_are_added_to_a_file_without_them() -> None:
    text = "## [Unreleased]\n\n- x\n\n## [1.0.0] - 2024-01-01\n\n- y\n\n[#1]: https://h.test/1\n"
    result = promote(text, "1.1.0", remote_url="https://github.com/o/r")
    assert result.warnings == []
    assert result.text.endswith("- y\n\n[#1]: https://h.test/1\n")


def test_an_existing_reference_for_the_new_version_is_kept() -> None:
    text = (
        "## [Unreleased]\n\n- x\n\n## [1.0.0]\n\n"
        "[Unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD\n"
        "[1.1.0]: https://example.test/custom\n"
        "[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n"
    )
    result = promote(text, "1.1.0")
    assert result.text.count("[1.1.0]:") == 1
    assert any("already exists" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("headings", "expected"),
    [
        # Agreeing headings: their style.
        (["## 1.1.0 (2024-01-01)", "## 1.0.0 (2023-01-01)"], "## 1.2.0 (2024-02-03)"),
        (
            ["## [v1.1.0] \u2013 2024-01-01", "## [v1.0.0] \u2013 2023-01-01"],
            "## [v1.2.0] \u2013 2024-02-03",
        ),
        (["## 1.1.0 - Jan 5th, 2024", "## 1.0.0 - Dec 21st, 2023"], "## 1.2.0 - Feb 3rd, 2024"),
        (["## 1.1.0 - 05 January 2024"], "## 1.2.0 - 03 February 2024"),
        # Undated stays undated.
        (["## 1.1.0", "## 1.0.0"], "## 1.2.0"),
        # Two that disagree: the newest decides.
        (["## [1.1.0] (2024-01-01)", "## 1.0.0 - 2023-01-01"], "## [1.2.0] (2024-02-03)"),
        (["## [v1.1.0] - 2024-01-01", "## [1.0.0] - 2023-01-01"], "## [v1.2.0] - 2024-02-03"),
        # An outlier, newest or old, never overrides the headings that agree.
        (
            ["## v1.1.0 (2024-01-01)", "## v1.0.0 (2023-01-01)", "## 0.9.0 - 2019-01-01"],
            "## v1.2.0 (2024-02-03)",
        ),
        (
            ["## 1.1.0 - 2024-01-01", "## v1.0.0 (2023-01-01)", "## v0.9.0 (2022-01-01)"],
            "## v1.2.0 (2024-02-03)",
        ),
    ],
)
def test_the_new_heading_follows_the_files_style(headings: list[str], expected: str) -> None:
    text = "## Unreleased\n\n- x\n\n" + "".join(f"{h}\n\n- y\n\n" for h in headings)
    result = promote(text, "1.2.0").text
    assert result.splitlines()[2] == expected


def test_promote_a_file_with_level_one_releases() -> None:
    text = "# Unreleased\n\n* x\n\n# 1.0.0 (2024-01-01)\n\n* y\n"
    assert promote(text, "1.1.0").text == (
        "# Unreleased\n\n# 1.1.0 (2024-02-03)\n\n* x\n\n# 1.0.0 (2024-01-01)\n\n* y\n"
    )


@pytest.mark.parametrize(
    ("name", "version", "message"),
    [
        ("no-unreleased.md", "1.1.0", "has no Unreleased section; add a '## [Unreleased]'"),
        ("not-a-changelog.md", "1.0.0", "does not look like Keep a Changelog"),
        ("empty-unreleased.md", "1.1.0", "has no entries; add some with 'releasekit changelog add"),
        ("kac.md", "1.1.1", "already has a section for '1.1.1' (line 18)"),
        ("kac.md", "1.1.1.0", "already has a section for '1.1.1.0'"),
        ("word-dates.md", "1.2", "already has a section for '1.2'"),
    ],
)
def test_promote_refusals(name: str, version: str, message: str) -> None:
    with pytest.raises(ChangelogError) as info:
        promote(read(FIXTURES / name), version)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_two_unreleased_sections_are_refused() -> None:
    with pytest.raises(ChangelogError, match=r"2 Unreleased sections \(lines 1, 5\)"):
        promote("## Unreleased\n\n- a\n\n## [Unreleased]\n\n- b\n", "1.0.0")


def test_allow_empty_promotes_an_empty_section() -> None:
    result = promote(read(FIXTURES / "empty-unreleased.md"), "1.1.0", allow_empty=True)
    assert "## [Unreleased]\n\n## [1.1.0] - 2024-02-03\n\n### Added\n\n### Fixed\n" in result.text


def test_a_lower_version_is_promoted_with_a_warning() -> None:
    result = promote(read(FIXTURES / "kac.md"), "1.0.1")
    assert "## [1.0.1] - 2024-02-03" in result.text
    assert result.warnings == [
        "1.0.1 is lower than 1.1.1, the highest release in the changelog; "
        "its section goes on top all the same"
    ]
    assert "[1.0.1]: https://github.com/example/project/compare/v1.0.0...v1.0.1\n" in result.text


def test_html_comments_alone_are_not_entries() -> None:
    text = "## [Unreleased]\n\n<!--\n- not an entry\n-->\n### Added\n\n## [1.0.0]\n"
    assert not changelog.has_unreleased_entries(text)
    with pytest.raises(ChangelogError, match="no entries"):
        promote(text, "1.1.0")


# --- notes and has_unreleased_entries -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("kac.md", "1.1.0", "### Added\n\n- Danish translation (#297)."),
        ("kac.md", "1.0.0", "### Added\n\n- New visual identity by [@tylerfortune8]."),
        ("no-categories.md", "0.4.0", "- New `export` command.\n- Docs for the plugin API."),
        ("v-prefix.md", "1.2", "### Added\n\n- Pagination."),
        (
            "trailing-text.md",
            "0.9.1",
            "### Fixed\n\n- A regression in 0.9.0 (yanked: it broke Windows).",
        ),
        # A comment just above the closing link references belongs with them, not the notes.
        ("trailing-text.md", "0.9.0", "### Added\n\n- Colour output."),
        ("word-dates.md", "1.1.0", "### Added\n\n- JSON output."),
    ],
)
def test_notes(name: str, version: str, expected: str) -> None:
    assert changelog.notes(read(FIXTURES / name), Version(version)) == expected


def test_notes_keep_code_blocks_and_lose_line_endings() -> None:
    text = crlf(read(FIXTURES / "code-and-comments.md"))
    body = changelog.notes(text, Version("1.0.1"))
    assert body.startswith("### Fixed\n\n~~~python\n# a comment, not a heading\n")
    assert "\r" not in body
    assert body.endswith("</pre>")


def test_notes_of_a_promoted_file_are_the_old_unreleased_entries() -> None:
    text = promote(read(FIXTURES / "kac.md"), "1.2.0").text
    assert changelog.notes(text, Version("1.2.0")) == (
        "### Added\n\n- Brazilian Portuguese translation.\n\n"
        "### Fixed\n\n- Improve French translation ([#377])."
    )


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("name", "version"), PROMOTE.items())
def test_promote_carries_the_new_sections_notes(name: str, version: str, variant: str) -> None:
    """A release tags with `result.notes` instead of parsing the promoted file again."""
    result = promote(VARIANTS[variant](read(FIXTURES / name)), version)
    assert result.notes == changelog.notes(result.text, Version(version))
    assert result.notes.strip()


@pytest.mark.parametrize("prefix", ["v", "release-"])
def test_promote_notes_with_a_custom_tag_prefix(prefix: str) -> None:
    text = f"## [Unreleased]\n\n- x\n\n## [{prefix}1.0.0] - 2024-01-01\n\n- y\n"
    result = promote(text, "1.1.0", tag_prefix=prefix)
    assert result.notes == "- x"
    assert changelog.notes(result.text, Version("1.1.0"), tag_prefix=prefix) == "- x"


def test_notes_of_an_unknown_version() -> None:
    with pytest.raises(ChangelogError) as info:
        changelog.notes(read(FIXTURES / "kac.md"), Version("9.9"))
    assert str(info.value) == (
        "the changelog has no section for version '9.9'; the latest are: 1.1.1, 1.1.0, 1.0.0"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [("kac.md", True), ("empty-unreleased.md", False), ("no-unreleased.md", False)],
)
def test_has_unreleased_entries(name: str, expected: bool) -> None:
    assert changelog.has_unreleased_entries(read(FIXTURES / name)) is expected


# --- check -------------------------------------------------------------------------------


@pytest.mark.repo_files
def test_releasekits_own_changelog_passes_check() -> None:
    findings = changelog.check(read(ROOT / "CHANGELOG.md"))
    assert [f for f in findings if f.severity == "error"] == []


@pytest.mark.parametrize(
    "name", [n for n in ALL_FIXTURES if n not in ("no-unreleased.md", "not-a-changelog.md")]
)
def test_fixtures_have_no_check_errors(name: str) -> None:
    findings = changelog.check(read(FIXTURES / name))
    assert [f for f in findings if f.severity == "error"] == []


MESSY = """\
# Changelog

## [Unreleased]

- Something.

## [1.2.x] - 2024-05-01

## [1.3.0] - 2024-13-01

## [1.1.0] - 2024-1-2

## [1.1.0] - 2024-01-01

## [1.2.0] - 2024-01-02

## [0.9.0] - 2023-01-01

```
unclosed

[Unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD
[1.3.0]: https://github.com/o/r/compare/v1.1.0...v1.2.0
[1.1.0]: https://github.com/o/r/compare/v1.0.0...v1.1.0
[1.1.0]: https://github.com/o/r/compare/v1.0.0...v1.1.0
[0.8.0]: https://github.com/o/r/releases/tag/v0.8.0
"""


def test_check_reports_each_problem_with_its_line() -> None:
    assert changelog.check(MESSY) == [
        Finding(7, "error", "'1.2.x' is not a valid PEP 440 version"),
        Finding(9, "error", "'2024-13-01' is not a valid date"),
        Finding(11, "error", "'2024-1-2' is not an ISO 8601 date (YYYY-MM-DD)"),
        Finding(13, "error", "a second section for 1.1.0 (first: line 11)"),
        Finding(
            15, "warning", "1.2.0 is listed below 1.1.0 (line 13); releases go in descending order"
        ),
        Finding(15, "error", "[1.2.0] has no link reference; add '[1.2.0]: URL'"),
        Finding(17, "error", "[0.9.0] has no link reference; add '[0.9.0]: URL'"),
        Finding(19, "error", "code fence '```' is never closed; close it (it was read as text)"),
        Finding(
            22,
            "warning",
            "the Unreleased link compares from 'v1.0.0', but the latest release is 1.3.0",
        ),
        Finding(23, "error", "[1.3.0] links to 1.2.0, not 1.3.0"),
        Finding(25, "warning", "a second [1.1.0] link reference (line 24 wins)"),
        Finding(26, "warning", "the link reference [0.8.0] matches no section"),
    ]


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        (
            "# Notes\n\nnothing\n",
            Finding(
                1,
                "error",
                "not a Keep a Changelog file: no '## [Unreleased]' and no release headings",
            ),
        ),
        (
            "## [1.0.0]\n",
            Finding(1, "error", "no Unreleased section; add '## [Unreleased]' above this line"),
        ),
        (
            "## [Unreleased]\n\n## [Unreleased]\n",
            Finding(3, "error", "a second Unreleased section (the first is at line 1)"),
        ),
        (
            "## [1.0.0]\n\n## [Unreleased]\n",
            Finding(3, "warning", "the Unreleased section should come before the releases"),
        ),
        (
            # A date in words where the newest release uses ISO (a house in words is left be).
            "## Unreleased\n\n## 1.1 - 2024-06-01\n\n## 1.0 - May 1, 2024\n",
            Finding(
                5, "warning", "the date is not ISO 8601 (YYYY-MM-DD), which Keep a Changelog uses"
            ),
        ),
        (
            "## Unreleased\n\n## 1.0\n\n## 1.1\n\n## 1.2\n",
            Finding(
                3,
                "warning",
                "the releases are in ascending order; Keep a Changelog lists the latest first",
            ),
        ),
        (
            "## Unreleased\n\n<!-- x\n",
            Finding(
                3,
                "error",
                "HTML block opened by '<!-- x' is never closed; close it (it was read as text)",
            ),
        ),
    ],
)
def test_check_findings(text: str, finding: Finding) -> None:
    assert finding in changelog.check(text)


def test_finding_prints_as_line_severity_message() -> None:
    assert str(Finding(7, "error", "bad")) == "7: error: bad"


# --- add ---------------------------------------------------------------------------------


def add(text: str, entry: str, kind: str | None = None) -> str:
    result = changelog.add(text, entry, kind=kind)  # type: ignore[arg-type]
    return result.text


def test_add_to_an_existing_category() -> None:
    text = read(FIXTURES / "kac.md")
    result = add(text, "Fix the German translation.", "fixed")
    assert (
        "- Improve French translation ([#377]).\n- Fix the German translation.\n\n## [1.1.1]"
        in result
    )
    assert_only_inserted(text, result)


def test_add_creates_the_category_in_conventional_order() -> None:
    text = read(FIXTURES / "kac.md")  # Unreleased has Added and Fixed
    changed = add(text, "Reword the intro.", "changed")
    assert (
        "- Brazilian Portuguese translation.\n\n### Changed\n\n- Reword the intro.\n\n### Fixed"
        in changed
    )
    security = add(text, "Sanitise links.", "security")
    assert "([#377]).\n\n### Security\n\n- Sanitise links.\n\n## [1.1.1]" in security
    assert_only_inserted(text, changed)
    assert_only_inserted(text, security)


def test_add_to_an_empty_unreleased_section() -> None:
    text = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2024-01-01\n\n### Added\n\n- y\n"
    assert add(text, "New thing", "added") == (
        "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- New thing\n\n"
        "## [1.0.0] - 2024-01-01\n\n### Added\n\n- y\n"
    )


def test_add_into_an_empty_category_heading() -> None:
    text = read(FIXTURES / "empty-unreleased.md")
    assert "### Added\n\n- One\n\n### Fixed\n\n## [1.0.0]" in add(text, "One", "added")
    assert "### Fixed\n\n- Two\n\n## [1.0.0]" in add(text, "Two", "fixed")


def test_add_creates_the_unreleased_section_when_missing() -> None:
    text = read(FIXTURES / "no-unreleased.md")
    assert add(text, "A fix", "fixed") == (
        "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- A fix\n\n"
        "## [1.0.0] - 2024-01-01\n\n### Added\n\n- First release.\n"
    )


def test_add_to_an_empty_file_starts_a_changelog() -> None:
    assert add("", "First entry") == (
        "# Changelog\n\n## [Unreleased]\n\n### Changed\n\n- First entry\n"
    )


def test_add_to_a_file_without_releases_keeps_links_at_the_end() -> None:
    text = "# Changelog\n\nIntro.\n\n[home]: https://h.test\n"
    assert add(text, "x", "added") == (
        "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n\n- x\n\n[home]: https://h.test\n"
    )


def test_add_follows_a_file_without_categories() -> None:
    text = read(FIXTURES / "no-categories.md")
    result = changelog.add(text, "Smaller wheels.", kind="fixed")
    assert "- Fewer dependencies.\n- Smaller wheels.\n\n## 0.4.0" in result.text
    assert result.warnings == [
        "the changelog uses no category subsections; the entry went in without '### Fixed'"
    ]
    assert changelog.add(text, "Smaller wheels.").warnings == []


def test_add_keeps_crlf_bullets_and_indents_continuation_lines() -> None:
    text = crlf(read(FIXTURES / "inline-links.md"))
    result = add(text, "Line one\nline two", "added")
    # "### Features" is this house's name for Keep a Changelog's "Added".
    assert (
        "### Features\r\n\r\n* Plugins can register commands.\r\n* Line one\r\n"
        "  line two\r\n\r\n## [2.0.0]"
    ) in result


@pytest.mark.parametrize(
    ("entry", "kind", "message"),
    [("  ", None, "the entry is empty"), ("x", "bugs", "--type 'bugs' is not one of: added")],
)
def test_add_refusals(entry: str, kind: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        add("## [Unreleased]\n", entry, kind)


def assert_only_inserted(before: str, after: str) -> None:
    old = changelog.parse(before).lines
    position = 0
    for line in changelog.parse(after).lines:
        if position < len(old) and line == old[position]:
            position += 1
    assert position == len(old)


# --- property tests ----------------------------------------------------------------------

ENTRY = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=30)


@st.composite
def changelogs(draw: st.DrawFn) -> str:
    """Keep-a-Changelog-like files in the variants real projects use."""
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    bracket = draw(st.booleans())
    unreleased = draw(
        st.sampled_from(
            ["## [Unreleased]", "## Unreleased", "## [UNRELEASED]", "## [Unreleased] - ReleaseDate"]
        )
    )
    count = draw(st.integers(min_value=0, max_value=5))
    versions = sorted(
        draw(
            st.sets(
                st.tuples(st.integers(0, 3), st.integers(0, 9), st.integers(0, 9)),
                min_size=count,
                max_size=count,
            )
        ),
        reverse=True,
    )
    date_form = draw(st.sampled_from([" - 2024-01-02", " (2024-01-02)", " - January 2, 2024", ""]))
    lines = ["# Changelog", ""]
    if draw(st.booleans()):
        lines += ["<!--", "## [9.9.9] - hidden", "-->", ""]

    def body() -> list[str]:
        out: list[str] = []
        for category in draw(
            st.lists(st.sampled_from(["Added", "Fixed", "Changed"]), max_size=2, unique=True)
        ):
            out += [f"### {category}", ""]
            out += [f"- {entry}" for entry in draw(st.lists(ENTRY, min_size=1, max_size=3))]
            out += [""]
        if draw(st.booleans()):
            out += ["```sh", "# not a heading", "## [8.8.8] - nor this", "```", ""]
        if not out:
            out = [f"- {draw(ENTRY)}", ""]
        return out

    lines += [unreleased, "", *body()]
    for version in versions:
        label = ".".join(map(str, version))
        lines += [f"## {'[' + label + ']' if bracket else label}{date_form}", "", *body()]
    if draw(st.booleans()) and bracket:
        labels = [".".join(map(str, v)) for v in versions]
        latest = labels[0] if labels else "0.0.0"
        refs = [f"[Unreleased]: https://github.com/o/r/compare/v{latest}...HEAD"]
        refs += [f"[{label}]: https://github.com/o/r/releases/tag/v{label}" for label in labels]
        refs.insert(draw(st.integers(0, len(refs))), "[#12]: https://github.com/o/r/issues/12")
        if draw(st.booleans()):
            refs.reverse()
        lines += refs
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    text = (
        "".join(
            line + (" " * draw(st.integers(0, 2)) if line.strip() else line)
            for line in text.splitlines(keepends=True)
        )
        if draw(st.booleans())
        else text
    )
    return ("\ufeff" if draw(st.booleans()) else "") + text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changelogs())
def test_generated_changelogs_round_trip(text: str) -> None:
    assert changelog.parse(text).render() == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changelogs())
def test_promote_keeps_every_line_outside_the_edited_regions_generated(text: str) -> None:
    doc = changelog.parse(text)
    released = [s.heading.version for s in doc.releases if s.heading.version is not None]
    new = Version(f"{max(released).major + 1}.0.0") if released else Version("0.1.0")
    result = changelog.promote(text, new, date=DATE, allow_empty=True)
    assert_surgical(text, result.text)
    assert changelog.parse(result.text).render() == result.text
    assert [str(s.heading.version) for s in changelog.parse(result.text).releases][:1] == [str(new)]
    assert "\n" not in "".join(result.warnings)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changelogs())
def test_promote_notes_match_the_notes_of_the_promoted_file_generated(text: str) -> None:
    doc = changelog.parse(text)
    released = [s.heading.version for s in doc.releases if s.heading.version is not None]
    new = Version(f"{max(released).major + 1}.0.0") if released else Version("0.1.0")
    result = changelog.promote(text, new, date=DATE, allow_empty=True)
    assert result.notes == changelog.notes(result.text, new)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8")))
@example("```\n## [Unreleased]\n")
@example("<!--\n## 1.0\n-->\n[1.0]: x\n")
def test_any_text_round_trips_and_check_never_fails(text: str) -> None:
    assert changelog.parse(text).render() == text
    findings = changelog.check(text)
    assert all(finding.line >= 1 for finding in findings)


# --- the command line ----------------------------------------------------------------------

PROJECT = {
    "pyproject.toml": '[project]\nname = "sample"\nversion = "1.2.0"\n',
    "tasks.py": "from releasekit.tasks import ns\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_files(tmp_path, {**PROJECT, "CHANGELOG.md": read(FIXTURES / "kac.md")})
    return tmp_path


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `releasekit ARGS` in this process (the same Program as the console script)."""

    def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Run:
        monkeypatch.chdir(cwd)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        try:
            program.run(["releasekit", *args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


@pytest.mark.parametrize("door", ["releasekit", "invoke"])
def test_both_doors_take_an_optional_argument(project: Path, door: str) -> None:
    result = run_cli(project, "changelog", "check", door=door)
    assert (result.code, result.out) == (0, "CHANGELOG.md: OK (0 warning(s))\n")
    done = run_cli(project, "changelog", "promote", "1.2.0", "--date", "2024-02-03", door=door)
    assert done.code == 0, done
    assert read(project / "CHANGELOG.md") == read(EXPECTED / "kac.md")


def test_cli_promote_dry_run_then_promote_then_notes(
    project: Path, cli: Callable[..., Run]
) -> None:
    dry = cli(project, "changelog", "promote", "1.2.0", "--date", "2024-02-03", "--dry-run")
    assert dry.code == 0, dry
    assert "+## [1.2.0] - 2024-02-03\n" in dry.out
    assert dry.out.endswith("would promote Unreleased to 1.2.0 in CHANGELOG.md\n")
    assert read(project / "CHANGELOG.md") == read(FIXTURES / "kac.md")
    done = cli(project, "changelog", "promote", "1.2.0", env={"SOURCE_DATE_EPOCH": "1706918400"})
    assert (done.code, done.out) == (0, "promoted Unreleased to 1.2.0 in CHANGELOG.md\n")
    assert read(project / "CHANGELOG.md") == read(EXPECTED / "kac.md")
    notes = cli(project, "notes", "1.2.0")
    assert notes.out.startswith("### Added\n\n- Brazilian Portuguese translation.\n")


def test_cli_add(project: Path, cli: Callable[..., Run]) -> None:
    result = cli(project, "changelog", "add", "Fix the German translation.", "--type", "fixed")
    assert (result.code, result.out) == (0, "added the entry to CHANGELOG.md\n")
    assert "([#377]).\n- Fix the German translation.\n" in read(project / "CHANGELOG.md")


def test_cli_add_creates_a_missing_changelog(tmp_path: Path, cli: Callable[..., Run]) -> None:
    write_files(tmp_path, PROJECT)
    assert cli(tmp_path, "changelog", "add", "First entry", "-t", "Added").code == 0
    assert read(tmp_path / "CHANGELOG.md") == (
        "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- First entry\n"
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("changelog", "promote", "1.1.1"),
            1,
            "CHANGELOG.md: the changelog already has a section for '1.1.1'",
        ),
        (("changelog", "promote"), 2, "'changelog promote' needs a VERSION"),
        (("changelog", "promote", "one"), 2, "'one' is not a valid PEP 440 version"),
        (
            ("changelog", "promote", "1.3", "--date", "2024-02-30"),
            2,
            "--date '2024-02-30' is not a date",
        ),
        (
            ("changelog", "promote", "1.3", "--type", "added"),
            2,
            "--type does not go with 'changelog promote'",
        ),
        (("changelog", "check", "x"), 2, "'changelog check' takes no argument, got 'x'"),
        (("changelog", "check", "--dry-run"), 2, "--dry-run does not go with 'changelog check'"),
        (("changelog", "publish"), 2, "unknown changelog action 'publish'"),
        (("changelog", "add", "x", "--type", "bugs"), 2, "--type 'bugs' is not one of"),
        (("notes", "7.0"), 1, "no section for version '7.0'"),
    ],
)
def test_cli_errors_are_one_line_and_change_nothing(
    project: Path, cli: Callable[..., Run], args: tuple[str, ...], code: int, message: str
) -> None:
    before = snapshot(project)
    result = cli(project, *args)
    assert result.code == code, result
    assert result.err.startswith("releasekit: error: ")
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err
    assert snapshot(project) == before


def test_cli_missing_changelog(tmp_path: Path, cli: Callable[..., Run]) -> None:
    write_files(tmp_path, PROJECT)
    result = cli(tmp_path, "changelog", "check")
    assert result.code == 1
    assert (
        "CHANGELOG.md' does not exist; create it, or set [tool.releasekit] changelog" in result.err
    )


def test_cli_check_fails_with_line_numbers(tmp_path: Path, cli: Callable[..., Run]) -> None:
    write_files(tmp_path, {**PROJECT, "CHANGELOG.md": MESSY})
    result = cli(tmp_path, "changelog", "check")
    assert result.code == 1
    assert "CHANGELOG.md:7: error: '1.2.x' is not a valid PEP 440 version\n" in result.out
    assert result.err == "releasekit: error: CHANGELOG.md: 8 error(s), 4 warning(s)\n"


def test_cli_promote_warns_on_stderr(tmp_path: Path, cli: Callable[..., Run]) -> None:
    write_files(tmp_path, {**PROJECT, "CHANGELOG.md": read(FIXTURES / "first-release.md")})
    result = cli(tmp_path, "changelog", "promote", "0.1.0", "--date", "2024-02-03")
    assert result.code == 0
    assert result.err.count("releasekit: warning: ") == 2
    assert read(tmp_path / "CHANGELOG.md") == read(EXPECTED / "first-release.md")


def test_cli_promote_uses_the_configured_remote(
    make_repo: Callable[..., GitRepo], cli: Callable[..., Run]
) -> None:
    repo = make_repo({**PROJECT, "CHANGELOG.md": read(FIXTURES / "first-release.md")})
    repo.git("remote", "set-url", "origin", "https://token@github.com/example/project.git")
    result = cli(repo.path, "changelog", "promote", "0.1.0", "--date", "2024-02-03")
    assert result.code == 0, result
    text = read(repo.path / "CHANGELOG.md")
    assert text.endswith(
        "[Unreleased]: https://github.com/example/project/compare/v0.1.0...HEAD\n"
        "[0.1.0]: https://github.com/example/project/releases/tag/v0.1.0\n"
    )
    assert "token" not in text


# A house that names its categories towncrier's way (modelled on attrs' and pip's
# Markdown-rendered changelogs: "Features", "Bug Fixes", "Deprecations and Removals").
HOUSE_CATEGORIES = (
    "# Changelog\n\n## Unreleased\n\n### Features\n\n- A thing.\n\n"
    "## 2.1.0 - 2024-05-01\n\n### Features\n\n- Older thing.\n\n### Bug Fixes\n\n- A bug.\n\n"
    "## 2.0.0 - 2024-01-01\n\n### Fixed\n\n- An older bug.\n"
)


def test_add_goes_under_the_house_name_of_a_category() -> None:
    result = add(HOUSE_CATEGORIES, "Another thing.", "added")
    assert "### Features\n\n- A thing.\n- Another thing.\n\n## 2.1.0" in result
    assert "### Added" not in result
    assert_only_inserted(HOUSE_CATEGORIES, result)


def test_add_names_a_new_category_the_way_the_newest_releases_do() -> None:
    result = add(HOUSE_CATEGORIES, "Fix it.", "fixed")
    # "Bug Fixes" (2.1.0, the newest) wins over the older "Fixed" (2.0.0).
    assert "- A thing.\n\n### Bug Fixes\n\n- Fix it.\n\n## 2.1.0" in result
    assert_only_inserted(HOUSE_CATEGORIES, result)


def test_add_keeps_keep_a_changelog_names_where_the_house_has_none() -> None:
    result = add(HOUSE_CATEGORIES, "Tighten it.", "security")
    assert "### Security\n\n- Tighten it.\n\n## 2.1.0" in result
