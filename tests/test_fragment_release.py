"""Releases of fragment-based projects with the real towncrier and scriv from the registry.

Real git with a bare remote; the tool is installed (at the version the fixture pins) into
an isolated environment under .git/releasekit/tools, exactly as a user's release does.
"""

from __future__ import annotations

import datetime
import subprocess
from collections.abc import Callable

import pytest
from conftest import GitRepo, run_cli, write_files
from fragment_projects import SCRIV_PROJECT, TOWNCRIER_CHANGELOG, TOWNCRIER_PROJECT

from releasekit import release as releasing
from releasekit.errors import ChecksFailedError, ReleaseError

pytestmark = pytest.mark.slow

DATE = datetime.date(2026, 2, 3)
Factory = Callable[..., GitRepo]

NEW_SECTION = """\
## [1.3.0](https://example.invalid/o/sample/tree/1.3.0) - 2026-02-03

### Backwards-incompatible Changes

- Drop Python 3.10. ([#15](https://example.invalid/o/sample/issues/15))

### Changes

- Frobnicate faster. ([#12](https://example.invalid/o/sample/issues/12))
- Give `frob()` a *timeout*.
  It defaults to none. ([#15](https://example.invalid/o/sample/issues/15))


"""
FRAGMENTS = ["changelog.d/12.change.md", "changelog.d/15.breaking.md", "changelog.d/15.change.md"]


@pytest.fixture
def repo(make_repo: Factory) -> GitRepo:
    made = make_repo(TOWNCRIER_PROJECT)
    made.git("tag", "-a", "-m", "1.2.0", "v1.2.0")
    made.git("push", "-q", "origin", "v1.2.0")
    return made


def run(repo: GitRepo, target: str = "minor", **kwargs: object) -> list[str]:
    lines: list[str] = []
    options = releasing.Options(target=target, **{"date": DATE, **kwargs})  # type: ignore[arg-type]
    releasing.release(repo.path, options, lines.append)
    return lines


def test_release_runs_towncrier_and_consumes_the_fragments(repo: GitRepo) -> None:
    before = repo.path.joinpath("CHANGELOG.md").read_text()
    lines = run(repo)
    assert "removing 3 news fragment(s) consumed by towncrier" in lines
    marker = "<!-- towncrier release notes start -->\n"
    head, _, tail = before.partition(marker)
    assert repo.path.joinpath(
        "CHANGELOG.md"
    ).read_text() == head + marker + "\n" + NEW_SECTION + tail.lstrip("\n")
    # The fragments are gone from the work tree and from the release commit; .gitkeep stays.
    tracked = repo.git("ls-files", "changelog.d").splitlines()
    assert tracked == ["changelog.d/.gitkeep"]
    assert not any(repo.path.joinpath(name).exists() for name in FRAGMENTS)
    changed = repo.git("show", "--name-status", "--format=", "HEAD").splitlines()
    assert sorted(changed) == sorted(
        ["M\tCHANGELOG.md", "M\tpyproject.toml", "M\tsrc/sample/__init__.py"]
        + [f"D\t{name}" for name in FRAGMENTS]
    )
    assert repo.git("status", "--porcelain") == ""
    # The tag holds the section without its title; the remote has both refs.
    message = repo.git("tag", "-l", "--format=%(contents)", "v1.3.0")
    assert message.startswith("### Backwards-incompatible Changes\n\n- Drop Python 3.10.")
    remote = subprocess.run(
        ["git", "ls-remote", str(repo.remote)], capture_output=True, text=True, check=True
    ).stdout
    assert "refs/tags/v1.3.0" in remote
    # The pinned towncrier was used, from its own environment inside the git directory.
    envs = list((repo.path / ".git" / "releasekit" / "tools").glob("towncrier-*"))
    assert len(envs) == 1
    assert '"version": "24.8.0"' in (envs[0] / "releasekit-tool.json").read_text()


def test_a_failed_push_restores_fragments_and_file_byte_for_byte(repo: GitRepo) -> None:
    hook = repo.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    fragment = repo.path / "changelog.d" / "15.change.md"
    fragment.chmod(0o600)  # an unusual mode, which the undo must keep too
    repo.git("update-index", "--refresh")
    before = repo.state()
    with pytest.raises(ReleaseError, match="protected branch") as caught:
        run(repo)
    assert "the release was undone" in str(caught.value)
    assert repo.state() == before
    assert fragment.read_bytes() == TOWNCRIER_PROJECT["changelog.d/15.change.md"].encode()  # type: ignore[union-attr]
    assert fragment.stat().st_mode & 0o777 == 0o600


def test_dry_run_status_and_notes_show_the_render_and_change_nothing(repo: GitRepo) -> None:
    before = repo.state()
    dry = run_cli(repo.path, "release", "minor", "--dry-run", "--date", "2026-02-03")
    assert dry.code == 0, dry.err
    assert "would remove 3 news fragment(s) consumed by towncrier" in dry.out
    assert "    - changelog.d/15.breaking.md" in dry.out
    assert "    | ### Backwards-incompatible Changes" in dry.out  # the tag message
    status = run_cli(repo.path, "status", "--target", "minor")
    assert status.code == 0, status.err
    assert "towncrier (settings in pyproject.toml" in status.out
    assert "pinned by [dependency-groups] docs" in status.out
    assert "unreleased news fragments: 3" in status.out
    assert "ok: changelog can be built: towncrier 24.8.0 builds CHANGELOG.md from 3" in status.out
    notes = run_cli(repo.path, "notes", "1.3.0", env={"SOURCE_DATE_EPOCH": "1770076800"})
    assert notes.code == 0, notes.err
    assert notes.out.startswith("### Backwards-incompatible Changes\n\n- Drop Python 3.10.")
    assert "1.3.0 is not in CHANGELOG.md yet" in notes.err
    released = run_cli(repo.path, "notes", "1.2.0")
    assert (
        released.out
        == "### Changes\n\n- The first public release.\n  [#1](https://example.invalid/o/sample/issues/1)\n"
    )
    check = run_cli(repo.path, "changelog", "check")
    assert (check.code, check.out) == (
        0,
        "CHANGELOG.md: OK (built by towncrier; the news fragments render)\n",
    )
    add = run_cli(repo.path, "changelog", "add", "By hand.")
    assert add.code == 1
    assert add.err.startswith("releasekit: error: CHANGELOG.md is built by towncrier from the news")
    assert "towncrier create" in add.err
    assert len(add.err.splitlines()) == 1
    assert repo.state() == before


def test_no_fragments_is_refused_unless_allow_empty(repo: GitRepo) -> None:
    repo.git("rm", "-q", *FRAGMENTS)
    repo.commit_all("no news")
    repo.git("push", "-q", "origin", "main")
    before = repo.state()
    with pytest.raises(ChecksFailedError) as caught:
        run(repo)
    assert any("no news fragments in 'changelog.d/'" in f for f in caught.value.failures)
    assert any("--allow-empty" in f for f in caught.value.failures)
    assert repo.state() == before
    run(repo, allow_empty=True)
    text = repo.path.joinpath("CHANGELOG.md").read_text()
    assert "## [1.3.0](https://example.invalid/o/sample/tree/1.3.0) - 2026-02-03" in text
    assert "No significant changes." in text


def test_an_untracked_fragment_is_refused(repo: GitRepo) -> None:
    write_files(repo.path, {"changelog.d/99.change.md": "Not committed.\n"})
    before = repo.state()
    with pytest.raises(ChecksFailedError) as caught:
        run(repo)
    assert any("'changelog.d/99.change.md' not tracked by git" in f for f in caught.value.failures)
    assert repo.state() == before


def test_a_broken_tool_config_is_a_failed_check(repo: GitRepo) -> None:
    text = repo.path.joinpath("pyproject.toml").read_text()
    repo.path.joinpath("pyproject.toml").write_text(
        text.replace(
            'name = "sample"\ndirectory', 'template = "missing.jinja"\nname = "sample"\ndirectory'
        )
    )
    repo.commit_all("break the template")
    repo.git("push", "-q", "origin", "main")
    with pytest.raises(ChecksFailedError) as caught:
        run(repo)
    assert any("towncrier failed" in f and "missing.jinja" in f for f in caught.value.failures)


def test_scriv_collects_into_its_changelog(make_repo: Factory) -> None:
    repo = make_repo(SCRIV_PROJECT)
    lines = run(repo, date=None)
    assert "removing 1 news fragment(s) consumed by scriv" in lines
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    text = repo.path.joinpath("CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n\n<!-- scriv-insert-here -->\n")
    assert f"1.3.0 — {today}" in text
    assert "- Frobnicate faster." in text
    assert text.index("1.3.0") < text.index("## 1.2.0")
    assert repo.git("ls-files", "changelog.d") == ""
    assert repo.git("tag", "-l", "--format=%(contents)", "v1.3.0").startswith("### Fixed")


def test_towncrier_changelog_text_is_unchanged_outside_the_new_section(repo: GitRepo) -> None:
    # The whole old file survives byte for byte after the inserted section.
    run(repo, push=False)
    after = repo.path.joinpath("CHANGELOG.md").read_bytes()
    old_tail = TOWNCRIER_CHANGELOG.split("<!-- towncrier release notes start -->\n")[1]
    assert after.endswith(old_tail.encode())


def test_a_project_in_a_subdirectory_of_the_repository(make_repo: Factory) -> None:
    # A monorepo: the project (and its towncrier settings) live in pkg/, git at the top.
    repo = make_repo({f"pkg/{name}": text for name, text in TOWNCRIER_PROJECT.items()})
    lines: list[str] = []
    options = releasing.Options(target="minor", date=DATE, push=False)
    releasing.release(repo.path / "pkg", options, lines.append)
    assert "removing 3 news fragment(s) consumed by towncrier" in lines
    assert repo.git("ls-files", "pkg/changelog.d").splitlines() == ["pkg/changelog.d/.gitkeep"]
    assert "## [1.3.0]" in repo.path.joinpath("pkg", "CHANGELOG.md").read_text()
    assert repo.git("status", "--porcelain") == ""
