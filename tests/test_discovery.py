"""Finding the changelog: configured, written by a fragment tool, or found by its name.

The layouts are those of real projects (named in each case).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GitRepo, write_files

from releasekit.changelog.discovery import DEFAULT, discover, discovered_name
from releasekit.changelog.fragments import detect
from releasekit.config import load_config
from releasekit.init import run_init

PROJECT = (
    '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
    '[project]\nname = "sample"\nversion = "1.0.0"\n'
)
KAC = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2025-01-01\n\n- First.\n"

# (files besides pyproject.toml, extra pyproject text, the changelog used, the others found)
CASES: dict[str, tuple[list[str], str, str, list[str]]] = {
    # psf/requests keeps HISTORY.md at the root.
    "requests": (["HISTORY.md"], "", "HISTORY.md", []),
    # pallets/click: CHANGES.rst at the root.
    "click": (["CHANGES.rst"], "", "CHANGES.rst", []),
    # psf/black: CHANGES.md, with docs/change_log.md including it (not a changelog name).
    "black": (["CHANGES.md", "docs/change_log.md"], "", "CHANGES.md", []),
    # pypa/pip: NEWS.rst written by towncrier, news/ fragments.
    "pip": (
        ["NEWS.rst", "news/.gitignore"],
        '[tool.towncrier]\nfilename = "NEWS.rst"\ndirectory = "news/"\n',
        "NEWS.rst",
        [],
    ),
    # pytest-dev/pytest: towncrier writes doc/en/changelog.rst; CHANGELOG.rst at the root
    # only points there.
    "pytest": (
        ["CHANGELOG.rst", "doc/en/changelog.rst"],
        '[tool.towncrier]\nfilename = "doc/en/changelog.rst"\ndirectory = "changelog/"\n',
        "doc/en/changelog.rst",
        ["CHANGELOG.rst"],
    ),
    # A project whose changelog lives only in docs/ (lower case), e.g. pypa/pipx.
    "docs-only": (["docs/changelog.md"], "", "docs/changelog.md", []),
    # Release notes under docs/, as the adopters had.
    "release-notes": (["docs/release-notes.md"], "", "docs/release-notes.md", []),
    # GNU-style NEWS without a suffix beside a Markdown CHANGELOG: the ranking decides.
    "gnu": (["NEWS", "CHANGELOG.md"], "", "CHANGELOG.md", ["NEWS"]),
    # Both formats of one name: Markdown first.
    "two-formats": (["CHANGELOG.rst", "CHANGELOG.md"], "", "CHANGELOG.md", ["CHANGELOG.rst"]),
    # The setting wins, even over a file found by name.
    "configured": (
        ["CHANGELOG.md", "docs/history.rst"],
        '[tool.releasekit]\nchangelog = "docs/history.rst"\n',
        "docs/history.rst",
        ["CHANGELOG.md"],
    ),
    # Nothing yet: the default name (init creates it).
    "none": ([], "", DEFAULT, []),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_discovery_on_real_layouts(tmp_path: Path, name: str) -> None:
    files, extra, chosen, others = CASES[name]
    write_files(tmp_path, {"pyproject.toml": PROJECT + extra, **dict.fromkeys(files, KAC)})
    pyproject = tomllib.loads(PROJECT + extra)
    found = discover(tmp_path, pyproject, detect(tmp_path, pyproject))
    assert [entry.path for entry in found] == ([chosen, *others] if found else [])
    assert discovered_name(tmp_path, pyproject) == chosen
    assert load_config(tmp_path).changelog == chosen


def test_a_configured_file_that_does_not_exist_is_still_the_one(tmp_path: Path) -> None:
    extra = '[tool.releasekit]\nchangelog = "docs/CHANGES.md"\n'
    write_files(tmp_path, {"pyproject.toml": PROJECT + extra, "HISTORY.rst": KAC})
    found = discover(tmp_path, tomllib.loads(PROJECT + extra), None)
    assert [(entry.path, entry.exists) for entry in found] == [
        ("docs/CHANGES.md", False),
        ("HISTORY.rst", True),
    ]


def test_a_bad_fragment_tool_setting_does_not_break_reading_settings(tmp_path: Path) -> None:
    extra = '[tool.towncrier]\nfilename = "../../etc/news.rst"\n'
    write_files(tmp_path, {"pyproject.toml": PROJECT + extra, "CHANGES.md": KAC})
    # Settings still load (the release's changelog check names the bad value).
    assert load_config(tmp_path).changelog == "CHANGES.md"


# --- init ---------------------------------------------------------------------------------


def _init(repo: GitRepo) -> list[str]:
    lines: list[str] = []
    run_init(repo.path, lines.append, dry_run=True, requirement="releasekit==1.0.0")
    return lines


def test_init_keeps_the_changelog_it_finds_and_names_the_others(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo({"pyproject.toml": PROJECT, "CHANGES.md": KAC, "docs/changelog.rst": "x\n"})
    lines = _init(repo)
    assert (
        "  changelog: CHANGES.md (kept as it is); also found, left alone: docs/changelog.rst"
        in (lines)
    )
    assert not any("CHANGELOG.md" in line for line in lines)


def test_init_on_a_towncrier_project_plans_no_changelog(
    make_repo: Callable[..., GitRepo],
) -> None:
    # Modelled on pypa/pip: [tool.towncrier] writes NEWS.rst from news/ fragments.
    extra = '[tool.towncrier]\nfilename = "NEWS.rst"\ndirectory = "news/"\n'
    news = "Release notes\n=============\n\n.. towncrier release notes start\n"
    repo = make_repo(
        {"pyproject.toml": PROJECT + extra, "NEWS.rst": news, "news/1.feature.rst": "New.\n"}
    )
    lines = _init(repo)
    described = next(line for line in lines if line.startswith("  changelog: "))
    assert described.startswith("  changelog: NEWS.rst (built at release time by towncrier")
    assert not any("NEWS.rst" in line and "would" in line for line in lines)
    assert not any("CHANGELOG.md" in line for line in lines)
    assert not any("Unreleased" in line for line in lines)
