"""End-to-end releases (real git, a bare remote) of changelogs in house styles beyond Keep a
Changelog: reStructuredText, ``## Version X`` (Pallets), undated and compact."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GitRepo, git, run_cli

from releasekit import release as releasing
from releasekit.errors import ChecksFailedError

CORPUS = Path(__file__).parent / "fixtures" / "changelogs" / "corpus"
DATE = datetime.date(2026, 12, 2)
Factory = Callable[..., GitRepo]


def project(version: str, changelog_name: str, changelog_text: str) -> dict[str, str | bytes]:
    config = (
        f'\n[tool.releasekit]\nchangelog = "{changelog_name}"\n'
        if changelog_name != "CHANGELOG.md"
        else ""
    )
    return {
        "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n'
        'build-backend = "hatchling.build"\n\n[project]\nname = "sample"\n'
        f'version = "{version}"\n{config}',
        "src/sample/__init__.py": f'__version__ = "{version}"\n',
        changelog_name: changelog_text,
    }


def release(repo: GitRepo, target: str) -> list[str]:
    lines: list[str] = []
    options = releasing.Options(target=target, date=DATE)
    releasing.release(repo.path, options, lines.append)
    return lines


def tagged(make_repo: Factory, files: dict[str, str | bytes], tag: str) -> GitRepo:
    repo = make_repo(files)
    repo.git("tag", "-a", "-m", tag, tag)
    repo.git("push", "-q", "origin", tag)
    return repo


def test_an_rst_project_releases_in_its_house_style(make_repo: Factory) -> None:
    text = (CORPUS / "requests-like-rst.rst").read_text()
    repo = tagged(make_repo, project("2.32.3", "HISTORY.rst", text), "v2.32.3")
    lines = release(repo, "patch")
    assert lines[-1] == "released 2.32.4"
    log = (repo.path / "HISTORY.rst").read_text()
    assert (
        "Unreleased\n----------\n\n2.32.4 (2026-12-02)\n-------------------\n\n**Bugfixes**" in log
    )
    message = repo.git("tag", "-l", "--format=%(contents)", "v2.32.4")
    assert message.startswith("**Bugfixes**\n\n- Fixed the SSLContext cache.")
    assert git(repo.remote, "rev-parse", "main") == repo.git("rev-parse", "HEAD")
    assert repo.git("ls-remote", "--tags", "origin", "v2.32.4")


def test_a_version_x_project_marks_the_section_released(make_repo: Factory) -> None:
    text = (CORPUS / "pallets.md").read_text()
    repo = tagged(make_repo, project("3.1.2", "CHANGES.md", text), "v3.1.2")
    lines = release(repo, "minor")
    assert lines[-1] == "released 3.2.0"
    log = (repo.path / "CHANGES.md").read_text()
    assert "## Version 3.2.0\n\nReleased 2026-12-02\n\n-   Drop support" in log
    assert "\nUnreleased\n" not in log
    message = repo.git("tag", "-l", "--format=%(contents)", "v3.2.0")
    assert message.startswith("-   Drop support for Python 3.9.")


def test_an_undated_compact_project_stays_undated_and_compact(make_repo: Factory) -> None:
    text = (CORPUS / "compact.md").read_text()
    repo = tagged(make_repo, project("2.4.0", "CHANGELOG.md", text), "v2.4.0")
    lines = release(repo, "minor")
    assert lines[-1] == "released 2.5.0"
    log = (repo.path / "CHANGELOG.md").read_text()
    assert "## Unreleased\n## 2.5.0\n### Fixed\n- The lock file keeps its order.\n## 2.4.0" in log
    assert repo.git("ls-remote", "--tags", "origin", "v2.5.0")


def test_the_gate_refuses_a_release_with_the_line_and_changes_nothing(
    make_repo: Factory,
) -> None:
    text = (
        (CORPUS / "structlog.md")
        .read_text()
        .replace("- Processors can", "- Processors \x1b[31mcan")
    )
    repo = tagged(make_repo, project("24.2.0", "CHANGELOG.md", text), "24.2.0")
    before = repo.state()
    with pytest.raises(ChecksFailedError) as caught:
        release(repo, "minor")
    assert repo.state() == before
    failure = "\n".join(caught.value.failures)
    assert "CHANGELOG.md line 12: control character U+001B" in failure


def test_status_and_dry_run_use_the_same_reader(make_repo: Factory) -> None:
    text = (CORPUS / "sphinx.rst").read_text()
    repo = tagged(make_repo, project("8.0.2", "CHANGES.rst", text), "v8.0.2")
    status = run_cli(repo.path, "status")
    assert status.code == 0, status.err
    assert "unreleased changelog entries: yes" in status.out
    dry = run_cli(repo.path, "release", "minor", "--dry-run")
    assert dry.code == 0, dry.err
    assert "changelog can be promoted" in dry.out
