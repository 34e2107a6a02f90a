"""Detecting towncrier and scriv, the files they use, and the version a project pins.

Each fixture is modelled on the layout of a real project (named in its comment); the text
is ours.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import write_files

from releasekit.changelog.fragments.pins import find_requirement
from releasekit.changelog.fragments.run import strip_title
from releasekit.changelog.fragments.tools import FragmentTool, detect
from releasekit.errors import ChangelogError

PROJECT = '[project]\nname = "sample"\nversion = "1.0.0"\n'

# (files, tool, config, news file, fragment directory)
LAYOUTS: dict[str, tuple[dict[str, str], str, str, str | None, str]] = {
    # python-attrs/attrs: Markdown changelog, changelog.d/, a Jinja template in that directory.
    "attrs": (
        {
            "pyproject.toml": PROJECT + '\n[tool.towncrier]\nname = "sample"\n'
            'directory = "changelog.d"\nfilename = "CHANGELOG.md"\n'
            'start_string = "<!-- towncrier release notes start -->\\n"\n'
            'template = "changelog.d/towncrier_template.md.jinja"\ntitle_format = ""\n',
        },
        "towncrier",
        "pyproject.toml",
        "CHANGELOG.md",
        "changelog.d",
    ),
    # pytest-dev/pytest: the file lives under doc/en/, fragments in changelog/.
    "pytest": (
        {
            "pyproject.toml": PROJECT + '\n[tool.towncrier]\npackage = "sample"\n'
            'package_dir = "src"\nfilename = "doc/en/changelog.rst"\n'
            'directory = "changelog/"\ntitle_format = "sample {version} ({project_date})"\n',
        },
        "towncrier",
        "pyproject.toml",
        "doc/en/changelog.rst",
        "changelog",
    ),
    # twisted/towncrier itself: no directory, so fragments live inside the package.
    "towncrier": (
        {
            "pyproject.toml": PROJECT + '\n[tool.towncrier]\n    package = "sample"\n'
            '    package_dir = "src"\n    filename = "NEWS.rst"\n',
        },
        "towncrier",
        "pyproject.toml",
        "NEWS.rst",
        "src/sample/newsfragments",
    ),
    # plone/meta's generated config: news/ and CHANGES.rst.
    "plone": (
        {
            "pyproject.toml": PROJECT + '\n[tool.towncrier]\ndirectory = "news/"\n'
            'filename = "CHANGES.rst"\ntitle_format = "{version} ({project_date})"\n'
            'underlines = ["-", ""]\n',
        },
        "towncrier",
        "pyproject.toml",
        "CHANGES.rst",
        "news",
    ),
    # plone/volto: a towncrier.toml beside pyproject.toml, which towncrier prefers.
    "volto": (
        {
            "pyproject.toml": PROJECT + '\n[tool.towncrier]\nfilename = "IGNORED.md"\n',
            "towncrier.toml": '[tool.towncrier]\nfilename = "CHANGELOG.md"\n'
            'directory = "news/"\ntitle_format = "## {version} ({project_date})"\n',
        },
        "towncrier",
        "towncrier.toml",
        "CHANGELOG.md",
        "news",
    ),
    # nedbat/scriv itself: [tool.scriv] in pyproject.toml, reStructuredText by default.
    "scriv": (
        {
            "pyproject.toml": PROJECT + '\n[tool.scriv]\nrst_header_chars = "-."\n'
            'version = "literal: src/sample/__init__.py: __version__"\n',
        },
        "scriv",
        "pyproject.toml",
        "CHANGELOG.rst",
        "changelog.d",
    ),
    # scriv with Markdown and Keep a Changelog categories (a common [tool.scriv] setup).
    "scriv-md": (
        {
            "pyproject.toml": PROJECT + '\n[tool.scriv]\nformat = "md"\n'
            'categories = ["Added", "Changed", "Fixed"]\n',
        },
        "scriv",
        "pyproject.toml",
        "CHANGELOG.md",
        "changelog.d",
    ),
    # scriv's documented alternative: changelog.d/scriv.ini, with another output file.
    "scriv-ini": (
        {
            "pyproject.toml": PROJECT,
            "changelog.d/scriv.ini": "[scriv]\nformat = md\nchangelog = CHANGES.md\n",
        },
        "scriv",
        "changelog.d/scriv.ini",
        "CHANGES.md",
        "changelog.d",
    ),
    # scriv without settings: only its insert marker in the changelog says so.
    "scriv-marker": (
        {
            "pyproject.toml": PROJECT,
            "changelog.d/README.txt": "fragments go here\n",
            "CHANGELOG.rst": "Changelog\n=========\n\n.. scriv-insert-here\n",
        },
        "scriv",
        "CHANGELOG.rst (scriv-insert-here marker)",
        "CHANGELOG.rst",
        "changelog.d",
    ),
}


def _detect(root: Path) -> FragmentTool | None:
    return detect(root, tomllib.loads((root / "pyproject.toml").read_text()))


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layouts_of_real_projects(tmp_path: Path, name: str) -> None:
    files, tool, config, news, fragments = LAYOUTS[name]
    write_files(tmp_path, files)
    found = _detect(tmp_path)
    assert found is not None
    assert (found.name, found.config, found.news_file, found.fragment_dir) == (
        tool,
        config,
        news,
        fragments,
    )
    assert found.requirement == tool
    assert found.pinned_by is None


def test_a_keep_a_changelog_project_has_no_fragment_tool(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": PROJECT, "CHANGELOG.md": "# Changelog\n"})
    assert _detect(tmp_path) is None


def test_one_file_per_version_has_no_single_news_file(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": PROJECT + "[tool.towncrier]\nsingle_file = false\n"
            'filename = "docs/releases/{version}.md"\ndirectory = "news"\n'
        },
    )
    found = _detect(tmp_path)
    assert found is not None
    assert found.news_file is None


def test_both_tools_configured_is_refused_by_name(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"pyproject.toml": PROJECT + "[tool.towncrier]\n[tool.scriv]\nformat = 'md'\n"}
    )
    with pytest.raises(ChangelogError, match=r"both towncrier \(pyproject.toml\) and scriv"):
        _detect(tmp_path)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("filename", "../../outside/CHANGELOG.md"),
        ("filename", "/etc/motd"),
        ("directory", "~/.ssh"),
        ("template", "../template.md"),
        ("filename", "C:\\\\Windows\\\\news.rst"),
    ],
)
def test_paths_that_leave_the_project_are_refused(tmp_path: Path, setting: str, value: str) -> None:
    write_files(
        tmp_path, {"pyproject.toml": PROJECT + f'[tool.towncrier]\n{setting} = "{value}"\n'}
    )
    with pytest.raises(ChangelogError, match="leaves the project") as caught:
        _detect(tmp_path)
    assert setting in str(caught.value)


def test_towncrier_toml_without_its_table_is_refused(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": PROJECT, "towncrier.toml": "[other]\n"})
    with pytest.raises(ChangelogError, match=r"towncrier.toml has no \[tool.towncrier\]"):
        _detect(tmp_path)


# --- the pinned version -------------------------------------------------------------------


def _pyproject(extra: str) -> dict[str, object]:
    return tomllib.loads(PROJECT + extra)


def test_an_exact_pin_in_a_dependency_group_wins_over_a_range(tmp_path: Path) -> None:
    # Modelled on python-attrs/attrs ("towncrier" in its docs group) with pins added.
    data = _pyproject(
        '[dependency-groups]\ndocs = ["sphinx", "towncrier>=23"]\n'
        'release = [{include-group = "docs"}, "towncrier==24.8.0"]\n'
    )
    assert find_requirement(tmp_path, data, "towncrier") == (
        "towncrier==24.8.0",
        "[dependency-groups] release",
    )


def test_uv_lock_is_the_version_the_developers_run(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"uv.lock": 'version = 1\n\n[[package]]\nname = "towncrier"\nversion = "24.7.1"\n'},
    )
    data = _pyproject('[dependency-groups]\ndocs = ["towncrier==24.8.0"]\n')
    assert find_requirement(tmp_path, data, "towncrier") == ("towncrier==24.7.1", "uv.lock")


def test_a_range_is_used_when_nothing_pins_exactly(tmp_path: Path) -> None:
    data = _pyproject('[project.optional-dependencies]\ndev = ["scriv[toml]>=1.5"]\n')
    assert find_requirement(tmp_path, data, "scriv") == (
        "scriv>=1.5",
        "[project.optional-dependencies] dev",
    )


def test_requirement_files_and_markers(tmp_path: Path) -> None:
    # Modelled on pytest-dev/pluggy (docs/requirements.txt lists towncrier) and
    # nedbat/scriv (pip-compiled requirements/*.txt).
    write_files(
        tmp_path,
        {
            "docs/requirements.txt": "-r ../requirements.txt\nsphinx  # docs\ntowncrier\n",
            "requirements/dev.txt": (
                "towncrier==1.0; python_version < '3'\n"
                "towncrier==23.11.0  # via -r requirements/dev.in\n"
            ),
        },
    )
    assert find_requirement(tmp_path, _pyproject(""), "towncrier") == (
        "towncrier==23.11.0",
        "requirements/dev.txt",
    )


def test_nothing_pinned_installs_the_newest(tmp_path: Path) -> None:
    data = _pyproject('[dependency-groups]\ndocs = ["towncrier"]\n')
    assert find_requirement(tmp_path, data, "towncrier") == ("towncrier", None)


# --- titles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("## [1.0.0] - 2026-01-01\n\n### Fixed\n\n- x\n", "### Fixed\n\n- x"),
        ("sample 1.0.0 (2026-01-01)\n=========================\n\nFixes\n-----\n\n- x\n",
         "Fixes\n-----\n\n- x"),
        ("==========\n1.0.0\n==========\n\n- x\n", "- x"),
        (".. _changelog-1.0.0:\n\n1.0.0 — 2026-01-01\n------------------\n\nFixed\n.....\n\n- x\n",
         "Fixed\n.....\n\n- x"),
        ("<a id='changelog-1.0'></a>\n# 1.0 — 2026-01-01\n\n## Fixed\n", "## Fixed"),
        ("- only entries\n", "- only entries"),
    ],
)  # fmt: skip
def test_strip_title(text: str, body: str) -> None:
    assert strip_title(text) == body
