"""Configured paths stay inside the repository; symlinks inside it are edited through."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GitRepo, run_cli

from releasekit.config import load_config
from releasekit.errors import ConfigError

Factory = Callable[..., GitRepo]
SECRET = "pypirc-password-CANARY-4711"
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Something.\n"


def project(changelog: str | None = None, version_files: list[str] | None = None) -> str:
    lines = [
        "[project]",
        'name = "sample"',
        'version = "1.2.0"',
        "",
        "[tool.releasekit]",
    ]
    if changelog is not None:
        lines.append(f"changelog = {changelog!r}")
    if version_files is not None:
        lines.append(f"version-files = {version_files!r}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def pypirc() -> Path:
    """A ~/.pypirc holding a password, outside every repository."""
    path = Path(os.environ["HOME"]) / ".pypirc"
    path.write_text(f"[pypi]\nusername = __token__\npassword = {SECRET}\n")
    path.chmod(0o600)
    return path


def outside_names(repo: GitRepo, pypirc: Path) -> list[str]:
    """Ways a config value can name the ~/.pypirc outside the repository."""
    return ["~/.pypirc", str(pypirc), os.path.relpath(pypirc, repo.path)]


@pytest.mark.parametrize("way", [0, 1, 2], ids=["tilde", "absolute", "dot-dot"])
@pytest.mark.parametrize("dry_run", [True, False])
def test_changelog_outside_the_repository_is_refused(
    make_repo: Factory, pypirc: Path, way: int, dry_run: bool
) -> None:
    repo = make_repo({"pyproject.toml": "[project]\nname = 'x'\nversion = '1.0'\n"})
    name = outside_names(repo, pypirc)[way]
    (repo.path / "pyproject.toml").write_text(project(changelog=name))
    repo.commit_all("point the changelog outside")
    before = pypirc.read_bytes()
    args = ["changelog", "add", "an entry", *(["--dry-run"] if dry_run else [])]
    result = run_cli(repo.path, *args)
    assert result.code == 1, result
    assert SECRET not in result.out + result.err
    assert result.err.startswith("releasekit: error: [tool.releasekit] changelog "), result.err
    assert len(result.err.strip().splitlines()) == 1
    assert pypirc.read_bytes() == before


@pytest.mark.parametrize("name", [".git/config", ".git/../.git/HEAD", "sub/../.git/config"])
def test_changelog_inside_git_dir_is_refused(make_repo: Factory, name: str) -> None:
    repo = make_repo({"pyproject.toml": project(changelog=name)})
    config = (repo.path / ".git" / "config").read_bytes()
    result = run_cli(repo.path, "changelog", "add", "an entry")
    assert result.code == 1, result
    assert "resolves into git's own directory (.git)" in result.err
    assert (repo.path / ".git" / "config").read_bytes() == config
    assert repo.git("status", "--porcelain") == ""  # the repository still works


def test_symlink_pointing_outside_is_refused(make_repo: Factory, pypirc: Path) -> None:
    repo = make_repo({"pyproject.toml": project()})
    (repo.path / "CHANGELOG.md").symlink_to(pypirc)
    before = pypirc.read_bytes()
    for args in (["changelog", "add", "x", "--dry-run"], ["changelog", "add", "x"], ["status"]):
        result = run_cli(repo.path, *args)
        assert result.code == 1, result
        assert SECRET not in result.out + result.err
        assert "outside the repository" in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert pypirc.read_bytes() == before


def test_symlink_inside_is_edited_through(make_repo: Factory) -> None:
    repo = make_repo({"pyproject.toml": project(), "docs/CHANGELOG.md": CHANGELOG})
    (repo.path / "CHANGELOG.md").symlink_to(Path("docs") / "CHANGELOG.md")
    repo.commit_all("changelog lives in docs/")
    result = run_cli(repo.path, "changelog", "add", "Another thing.", "--type", "added")
    assert result.code == 0, result
    link = repo.path / "CHANGELOG.md"
    assert link.is_symlink()
    assert link.readlink() == Path("docs") / "CHANGELOG.md"
    assert "- Another thing." in (repo.path / "docs" / "CHANGELOG.md").read_text()


def test_release_and_its_undo_keep_the_link(make_repo: Factory) -> None:
    repo = make_repo({"pyproject.toml": project(), "docs/CHANGELOG.md": CHANGELOG})
    (repo.path / "CHANGELOG.md").symlink_to(Path("docs") / "CHANGELOG.md")
    repo.commit_all("changelog lives in docs/")
    # A pre-push hook that refuses: the release is undone after writing, committing, tagging.
    hook = repo.path / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\necho refused by hook >&2\nexit 1\n")
    hook.chmod(0o755)
    before = repo.state()
    failed = run_cli(repo.path, "release", "minor", "--date", "2026-02-03")
    assert failed.code == 1, failed
    assert (repo.path / "CHANGELOG.md").is_symlink()
    assert repo.state() == before
    hook.unlink()
    done = run_cli(repo.path, "release", "minor", "--date", "2026-02-03")
    assert done.code == 0, done
    assert (repo.path / "CHANGELOG.md").is_symlink()
    assert "## [1.3.0] - 2026-02-03" in (repo.path / "docs" / "CHANGELOG.md").read_text()
    # The release commit holds the real file's new content; the link is unchanged.
    changed = repo.git("show", "--name-only", "--format=", "HEAD").split()
    assert "docs/CHANGELOG.md" in changed
    assert repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize("name", ["../outside.txt", ".git/HEAD", "/etc/hostname"])
def test_version_files_are_confined(make_repo: Factory, name: str) -> None:
    repo = make_repo({"pyproject.toml": project(version_files=[name])})
    with pytest.raises(ConfigError, match=r"\[tool.releasekit\] version-files"):
        load_config(repo.path)
    result = run_cli(repo.path, "bump", "patch", "--dry-run")
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1


def test_a_monorepo_changelog_at_the_top_is_inside(make_repo: Factory) -> None:
    # A project in a subdirectory may keep its changelog at the repository's top.
    repo = make_repo({"pkg/pyproject.toml": project(changelog="../CHANGELOG.md")})
    (repo.path / "CHANGELOG.md").write_text(CHANGELOG)
    config = load_config(repo.path / "pkg")
    assert config.changelog == "../CHANGELOG.md"
