"""The house-style corpus: real projects' changelog shapes, promoted as their houses write them.

Each fixture in tests/fixtures/changelogs/corpus/ names, in its first line, the public project
whose changelog it is modelled on (structure only; the text is ours). Its expected promote
output is in corpus/expected/.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import io
from pathlib import Path

import pytest
from docutils.core import publish_doctree  # type: ignore[import-untyped]
from docutils.utils import Reporter  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from releasekit import changelog
from releasekit.errors import ChangelogError

CORPUS_DIR = Path(__file__).parent / "fixtures" / "changelogs" / "corpus"
EXPECTED = CORPUS_DIR / "expected"
DATE = datetime.date(2026, 12, 2)
# name -> (version to release, tag prefix)
CORPUS: dict[str, tuple[str, str]] = {
    "structlog.md": ("24.3.0", ""),
    "outlier.md": ("4.25.1", "v"),
    "httpx.md": ("0.28.0", ""),
    "uvicorn.md": ("0.31.0", ""),
    "pallets.md": ("3.2.0", ""),
    "flask.rst": ("3.2.0", ""),
    "packaging.rst": ("26.4", ""),
    "sphinx.rst": ("8.1.0", "v"),
    "requests.md": ("2.32.4", "v"),
    "release-please.md": ("2.19.0", "v"),
    "attrs-tree.md": ("24.3.0", ""),
    "semantic-release.md": ("9.9.0", "v"),
    "pydantic.md": ("2.7.2", "v"),
    "mypy.md": ("1.12", "v"),
    "gitlab.md": ("2.8.0", "v"),
    "bitbucket-percent.md": ("0.1.8", "v"),
    "bitbucket-dots.md": ("2.8.0", "v"),
    "azure.md": ("3.16.0", "v"),
    "hatch.md": ("1.14.0", "hatch-v"),
    "uv-undated.md": ("0.4.21", ""),
    "compact.md": ("2.5.0", "v"),
    "tox.rst": ("4.22.0", "v"),
    "pytest.rst": ("8.3.4", ""),
    "overline.rst": ("3.2.0", "v"),
    "fastapi.md": ("0.116.0", ""),
    "date-prefix.md": ("17.0.0", "v"),
    "version-ordinal.md": ("1.0.10", "v"),
    "v-paren.md": ("3.30.0", "v"),
    "bracket-v-paren.md": ("4.42.0", "v"),
    "footnotes.md": ("2.2.0", "v"),
    "multiline-refs.md": ("1.5.0", "v"),
    "codeberg.md": ("0.4.0", "v"),
    "requests-like-rst.rst": ("2.32.4", "v"),
}


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def promote(name: str, text: str | None = None) -> changelog.PromoteResult:
    version, prefix = CORPUS[name]
    return changelog.promote(
        read(CORPUS_DIR / name) if text is None else text,
        Version(version),
        date=DATE,
        tag_prefix=prefix,
        fmt=changelog.format_of(name),
    )


def test_the_corpus_has_thirty_house_styles_each_naming_its_model() -> None:
    files = sorted(path.name for path in CORPUS_DIR.iterdir() if path.is_file())
    assert files == sorted(CORPUS)
    assert len(files) >= 30
    for name in files:
        first = read(CORPUS_DIR / name).splitlines()[0]
        assert "Modelled on" in first, name


@pytest.mark.parametrize("name", CORPUS)
def test_promote_writes_the_house_style(name: str) -> None:
    result = promote(name)
    assert result.text == read(EXPECTED / name)
    assert result.warnings == []


@pytest.mark.parametrize("name", CORPUS)
def test_the_notes_are_the_new_sections_body(name: str) -> None:
    version, prefix = CORPUS[name]
    result = promote(name)
    assert result.notes
    again = changelog.notes(result.text, Version(version), tag_prefix=prefix)
    assert again == result.notes


@pytest.mark.parametrize("name", CORPUS)
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_parsing_round_trips_byte_for_byte(name: str, eol: str) -> None:
    text = read(CORPUS_DIR / name).replace("\n", eol)
    assert changelog.parse(text, fmt=changelog.format_of(name)).render() == text
    assert promote(name, text).text == read(EXPECTED / name).replace("\n", eol)


def _edited_regions(name: str, text: str) -> list[range]:
    """Lines a promote may change: the Unreleased section's head, and the link block."""
    _, prefix = CORPUS[name]
    doc = changelog.parse(text, tag_prefix=prefix, fmt=changelog.format_of(name))
    (unreleased,) = doc.unreleased
    head = unreleased.heading
    regions = [range(head.start, head.stop + 1)]
    if head.status is not None:
        regions.append(range(head.status, head.status + 1))
    # Promote moves the body under a new heading: the body's first lines may shift.
    regions.append(range(head.stop, unreleased.body.start + 2))
    regions.append(range(doc.footer, len(doc.lines) + 1))
    return regions


def _changed_input_lines(before: str, after: str) -> list[int]:
    matcher = difflib.SequenceMatcher(
        None, before.splitlines(keepends=True), after.splitlines(keepends=True), autojunk=False
    )
    changed: list[int] = []
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag == "equal":
            continue
        changed.extend(range(i1, i2) if i2 > i1 else [i1])
    return changed


@pytest.mark.parametrize("name", CORPUS)
def test_only_the_edited_regions_change(name: str) -> None:
    text = read(CORPUS_DIR / name)
    regions = _edited_regions(name, text)
    for line in _changed_input_lines(text, promote(name).text):
        assert any(line in region for region in regions), (name, line + 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(CORPUS)),
    entry=st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60
    ).filter(lambda s: s.strip() and not s.lstrip().startswith(("#", "[", "<", "`", "~", "*"))),
)
def test_any_entry_moves_as_written_and_nothing_else_changes(name: str, entry: str) -> None:
    text = read(CORPUS_DIR / name)
    _, prefix = CORPUS[name]
    doc = changelog.parse(text, tag_prefix=prefix, fmt=changelog.format_of(name))
    (unreleased,) = doc.unreleased
    last = max(i for i in unreleased.body if doc.lines[i].strip())
    line = f"- {entry.strip()}\n"
    lines = list(doc.lines)
    lines.insert(last + 1, line)
    edited = "".join(lines)
    result = promote(name, edited)
    assert line.rstrip("\n") in result.notes.splitlines()
    assert result.text.count(line) == 1
    regions = _edited_regions(name, edited)
    for changed in _changed_input_lines(edited, result.text):
        assert any(changed in region for region in regions), (name, changed + 1)


def _rst_problems(text: str) -> list[str]:
    stream = io.StringIO()
    publish_doctree(
        text,
        settings_overrides={
            "report_level": Reporter.WARNING_LEVEL,
            "halt_level": Reporter.SEVERE_LEVEL + 1,
            "warning_stream": stream,
        },
    )
    return [
        line for line in stream.getvalue().splitlines() if "(WARNING" in line or "(ERROR" in line
    ]


@pytest.mark.parametrize("name", [name for name in CORPUS if name.endswith(".rst")])
def test_rst_results_render_without_new_problems(name: str) -> None:
    before = _rst_problems(read(CORPUS_DIR / name))
    after = _rst_problems(promote(name).text)
    # Sphinx roles (:pr:, :issue:) are unknown to bare docutils: the same ones, no new ones.
    assert len(after) <= len(before) + sum("Unknown interpreted text role" in p for p in after)
    assert not [p for p in after if "Title" in p or "underline" in p or "overline" in p]


@pytest.mark.parametrize("name", CORPUS)
def test_check_finds_no_new_errors_after_promote(name: str) -> None:
    _, prefix = CORPUS[name]
    fmt = changelog.format_of(name)
    before = changelog.check(read(CORPUS_DIR / name), tag_prefix=prefix, fmt=fmt)
    after = changelog.check(promote(name).text, tag_prefix=prefix, fmt=fmt)
    errors = [f for f in after if f.severity == "error"]
    assert len(errors) <= len([f for f in before if f.severity == "error"]), errors


def test_headings_that_all_disagree_refuse_with_their_lines() -> None:
    text = (
        "# Changelog\n\n## [Unreleased]\n\n- x\n\n## 1.3.0 (2024-03-01)\n\n- a\n\n"
        "## [1.2.0] - 2024-02-01\n\n- b\n\n## v1.1.0 - January 5, 2024\n\n- c\n"
    )
    with pytest.raises(ChangelogError, match=r"lines 7, 11, 15.*written differently"):
        changelog.promote(text, Version("1.4.0"), date=DATE)


def test_the_gate_refuses_errors_in_the_top_and_warns_for_old_ones() -> None:
    text = (
        "# Changelog\n\n## [Unreleased]\n\n- x\n\n## [1.1.0] - 2024-02-01\n\n- a\n\n"
        "## [1.0.0] - 2024-13-45\n\n- b\n\n"
        "[Unreleased]: https://github.com/o/r/compare/v1.1.0...HEAD\n"
        "[1.1.0]: https://github.com/o/r/compare/v1.0.0...v1.1.0\n"
        "[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n"
    )
    warnings = changelog.gate(text)
    assert [(w.line, w.severity) for w in warnings] == [(11, "warning")]
    assert any(f.line == 11 and f.severity == "error" for f in changelog.check(text))
    broken = text.replace("- x\n", "- x \x00 y\n")
    with pytest.raises(ChangelogError, match=r"line 5: control character U\+0000"):
        changelog.gate(broken)


@pytest.mark.parametrize(
    "char",
    ["\x00", "\x1b", "\x7f", "\x85", "\r", "\x08"],
    ids=["nul", "esc", "del", "nel", "cr", "bs"],
)
def test_check_reports_control_characters_with_their_line(char: str) -> None:
    text = f"# Changelog\n\n## [Unreleased]\n\n- a {char}b\n"
    findings = changelog.check(text)
    assert [(f.line, f.severity) for f in findings if "control character" in f.message] == [
        (5, "error")
    ]


def test_crlf_is_not_a_control_character() -> None:
    text = "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n- a\r\n"
    assert changelog.check(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# C\n\n## [1.1.0] - 2024-01-01\n\n- a\n\n## [1.0.0] - 2023-01-01\n\n- b\n\n"
            "[1.1.0]: https://github.com/o/r/compare/v1.0.0...v1.1.0\n"
            "[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n",
            "# C\n\n## [Unreleased]\n\n## [1.1.0] - 2024-01-01\n\n- a\n\n"
            "## [1.0.0] - 2023-01-01\n\n- b\n\n"
            "[Unreleased]: https://github.com/o/r/compare/v1.1.0...HEAD\n"
            "[1.1.0]: https://github.com/o/r/compare/v1.0.0...v1.1.0\n"
            "[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0\n",
        ),
        (
            "# C\n\n## [1.1.0](https://g.example/o/r/compare/1.0.0...1.1.0) - 2024-01-01\n\n- a\n",
            "# C\n\n## [Unreleased](https://g.example/o/r/compare/1.1.0...HEAD)\n\n"
            "## [1.1.0](https://g.example/o/r/compare/1.0.0...1.1.0) - 2024-01-01\n\n- a\n",
        ),
        (
            "Changes\n=======\n\n1.1.0 (2024-01-01)\n------------------\n\n- a\n",
            "Changes\n=======\n\nUnreleased\n----------\n\n1.1.0 (2024-01-01)\n"
            "------------------\n\n- a\n",
        ),
        (
            "# C\n\n## Version 2.0\n\nReleased 2024-01-01\n\n- a\n\n## Version 1.0\n\n- b\n",
            "# C\n\n## Unreleased\n\n## Version 2.0\n\nReleased 2024-01-01\n\n- a\n\n"
            "## Version 1.0\n\n- b\n",
        ),
        (
            "# C\n\n## [1.1.0] - 2024-01-01\n\n- a\n",
            "# C\n\n## [Unreleased]\n\n## [1.1.0] - 2024-01-01\n\n- a\n",
        ),
    ],
    ids=["references", "inline", "rst", "version-x", "no-links"],
)
def test_an_added_unreleased_heading_follows_the_house(text: str, expected: str) -> None:
    result = changelog.with_unreleased(changelog.parse(text))
    assert result == expected
    assert [f for f in changelog.check(result) if f.severity == "error"] == []


@pytest.mark.parametrize(
    "line",
    [
        "## " + " " * 100_000 + "x",
        "#" * 100_000,
        "## " + "#" * 100_000 + " x",
        "## [" * 30_000,
        "[" * 100_000 + "]: x",
        "`" * 100_000,
        "## 1.0.0 " + "(" * 50_000,
        "## " + "1." * 50_000,
        "## Version " + "a " * 50_000,
        "- " + "January 1st, " * 10_000,
        " " * 100_000,
    ],
    ids=[
        "spaces",
        "hashes",
        "closing",
        "brackets",
        "ref",
        "backticks",
        "parens",
        "dots",
        "words",
        "dates",
        "blank",
    ],
)
def test_adversarial_lines_are_read_in_linear_time(line: str) -> None:
    # A quadratic reader takes minutes on these (a 100 KB heading once took over two);
    # benchmarks/bench_changelog.py measures the cost, this only runs them.
    text = f"# Changelog\n\n## [Unreleased]\n\n- x\n{line}\n\n## [1.0.0] - 2024-01-01\n\n- y\n"
    changelog.check(text)
    changelog.parse(text).render()
    with contextlib.suppress(ChangelogError):
        changelog.promote(text, Version("1.1.0"), date=DATE)


def _long(name: str, copies: int) -> str:
    """The fixture with its oldest release repeated as many older ones (renumbered)."""
    text = read(CORPUS_DIR / name)
    _, prefix = CORPUS[name]
    doc = changelog.parse(text, tag_prefix=prefix, fmt=changelog.format_of(name))
    last = doc.releases[-1]
    block = "".join(doc.lines[last.heading.start : last.end]).rstrip("\n") + "\n\n"
    version = str(last.heading.version)
    old = "".join(block.replace(version, f"0.0.{number}") for number in range(copies, 0, -1))
    lines = list(doc.lines)
    lines.insert(last.end, old)
    return "".join(lines)


@pytest.mark.parametrize("name", CORPUS)
def test_the_partial_read_gives_what_the_full_read_gives(name: str) -> None:
    from releasekit.changelog import partial

    text = _long(name, 300)
    _, prefix = CORPUS[name]
    fmt = changelog.format_of(name)
    full = changelog.parse(text, tag_prefix=prefix, fmt=fmt)
    part = partial.parse_for_edit(text, tag_prefix=prefix, fmt=fmt, chunk=256)
    assert part.render() == text
    assert part.hidden is not None  # the middle was not read
    assert [s.heading.title for s in part.sections[:4]] == [
        s.heading.title for s in full.sections[:4]
    ]
    assert [(r.label, r.url, r.kind) for r in part.refs] == [
        (r.label, r.url, r.kind) for r in full.refs
    ]
    result = promote(name, text)
    assert result.text.startswith(read(EXPECTED / name)[: len(read(EXPECTED / name)) // 3])


def test_a_section_for_the_version_deep_in_the_file_is_still_refused() -> None:
    text = _long("structlog.md", 2000).replace("## [0.0.1234]", "## [24.3.0]")
    with pytest.raises(ChangelogError, match=r"already has a section for '24.3.0' \(line \d+"):
        promote("structlog.md", text)


@pytest.mark.parametrize("name", CORPUS)
def test_one_full_read_serves_the_gate_check_and_promote(name: str) -> None:
    """A release parses the file once and hands that document to check and promote."""
    version, prefix = CORPUS[name]
    text = read(CORPUS_DIR / name)
    fmt = changelog.format_of(name)
    doc = changelog.parse(text, tag_prefix=prefix, fmt=fmt)
    assert changelog.check(text, tag_prefix=prefix, fmt=fmt, document=doc) == changelog.check(
        text, tag_prefix=prefix, fmt=fmt
    )
    assert changelog.release_findings(
        text, tag_prefix=prefix, fmt=fmt, document=doc
    ) == changelog.release_findings(text, tag_prefix=prefix, fmt=fmt)
    shared = changelog.promote(
        text, Version(version), date=DATE, tag_prefix=prefix, fmt=fmt, document=doc
    )
    assert shared == promote(name)
    assert doc.render() == text  # promote read the document, it did not change it
