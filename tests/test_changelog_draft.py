"""Drafting changelog entries from the commits since the last release tag (real repositories)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import GitRepo
from hypothesis import given, settings
from hypothesis import strategies as st

from releasekit import draft
from releasekit.draft import Commit, Entry
from releasekit.errors import GitError
from releasekit.git import Git


def commit(repo: GitRepo, message: str) -> str:
    repo.git("commit", "-q", "--allow-empty", "-m", message)
    return repo.git("rev-parse", "HEAD")


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("feat: add a --json flag", "", ("added", "Add a --json flag")),
        ("feat(cli): add a --json flag", "", ("added", "Add a --json flag (cli)")),
        ("fix: handle empty files", "", ("fixed", "Handle empty files")),
        ("Fix: handle empty files", "", ("fixed", "Handle empty files")),
        ("fix(security): escape HTML", "", ("security", "Escape HTML")),
        ("perf: cache the index", "", ("changed", "Cache the index")),
        ("revert: feat: drop the cache", "", ("changed", "Feat: drop the cache")),
        ("deprecate: the --old flag", "", ("deprecated", "The --old flag")),
        ("remove: the --old flag", "", ("removed", "The --old flag")),
        ("security: pin the TLS version", "", ("security", "Pin the TLS version")),
        ("feat!: drop Python 3.9", "", ("added", "**Breaking:** Drop Python 3.9")),
        (
            "fix: rename a flag",
            "BREAKING CHANGE: --x is now --y",
            ("fixed", "**Breaking:** Rename a flag"),
        ),
        ("refactor!: new config format", "", ("changed", "**Breaking:** New config format")),
        ("Update the README", "", ("changed", "Update the README")),
        ("wip: something", "", ("changed", "Wip: something")),
        ("docs: explain the flags", "", None),
        ("chore(deps): bump requests", "", None),
        ("ci: cache uv", "", None),
        ("test: more cases", "", None),
        ("style: format", "", None),
        ("build: hatch", "", None),
        ("refactor: split a module", "", None),
        ("fixup! feat: add a flag", "", None),
        ("", "", None),
    ],
)
def test_classify(subject: str, body: str, expected: tuple[str, str] | None) -> None:
    entry = draft.classify(Commit(sha="abc", subject=subject, body=body))
    assert (None if entry is None else (entry.category, entry.text)) == expected


@settings(max_examples=150, deadline=None)
@given(st.text(), st.text())
def test_classify_accepts_any_message(subject: str, body: str) -> None:
    entry = draft.classify(Commit(sha="0" * 40, subject=subject, body=body))
    if entry is not None:
        assert entry.category in ("added", "changed", "deprecated", "removed", "fixed", "security")
    conventional = re.fullmatch(r"([A-Za-z]+)(\([^()]*\))?: .+", subject.strip())
    if conventional and conventional[1].lower() in draft.LEFT_OUT and "BREAKING" not in body:
        assert entry is None


def test_entries_drop_duplicates_and_count_left_out() -> None:
    commits = [
        Commit("1", "feat: a"),
        Commit("2", "docs: b"),
        Commit("3", "feat: a"),
        Commit("4", "fix: c"),
    ]
    found, left_out = draft.entries(commits)
    assert [(e.category, e.text) for e in found] == [("added", "A"), ("fixed", "C")]
    assert left_out == 1


def test_markdown_groups_in_keep_a_changelog_order() -> None:
    proposal = draft.Draft(
        since="v1.0.0",
        commits=3,
        entries=(Entry("fixed", "B", "2"), Entry("added", "A", "1"), Entry("fixed", "C", "3")),
        left_out=0,
    )
    assert proposal.markdown() == "### Added\n\n- A\n\n### Fixed\n\n- B\n- C\n"


def test_draft_reads_only_the_commits_since_the_last_release_tag(git_repo: GitRepo) -> None:
    commit(git_repo, "feat: before the release")
    git_repo.git("tag", "-a", "v1.2.0", "-m", "v1.2.0")
    commit(git_repo, "feat: add a flag")
    commit(git_repo, "docs: describe it")
    commit(git_repo, "fix(parser): a crash")
    repo = Git(git_repo.path)
    proposal = draft.draft(repo)
    assert proposal.since == "v1.2.0"
    assert (proposal.commits, proposal.left_out) == (3, 1)
    assert proposal.markdown() == "### Added\n\n- Add a flag\n\n### Fixed\n\n- A crash (parser)\n"
    assert repo.calls == 3  # rev-parse, describe, log: none depends on the history's length


def test_draft_without_a_tag_reads_the_whole_history(git_repo: GitRepo) -> None:
    commit(git_repo, "feat: the first feature")
    proposal = draft.draft(Git(git_repo.path))
    assert proposal.since is None
    assert [entry.text for entry in proposal.entries] == [
        "Initial commit",
        "The first feature",
    ]


def test_tags_that_are_not_release_tags_are_skipped(git_repo: GitRepo) -> None:
    git_repo.git("tag", "v1.0.0")
    commit(git_repo, "feat: one")
    git_repo.git("tag", "v2-docs")  # matches v[0-9]*, but is not a version
    git_repo.git("tag", "release-3.0")  # another prefix
    git_repo.git("tag", "v1.1.0+local")  # a local version: not a release tag
    commit(git_repo, "feat: two")
    assert draft.last_release_tag(Git(git_repo.path)) == "v1.0.0"
    assert [e.text for e in draft.draft(Git(git_repo.path)).entries] == ["One", "Two"]


def test_custom_and_empty_tag_prefixes(git_repo: GitRepo) -> None:
    git_repo.git("tag", "release-1.0")
    commit(git_repo, "feat: a")
    git_repo.git("tag", "2.0.0")
    commit(git_repo, "feat: b")
    assert draft.last_release_tag(Git(git_repo.path), tag_prefix="release-") == "release-1.0"
    assert draft.last_release_tag(Git(git_repo.path), tag_prefix="") == "2.0.0"
    assert draft.last_release_tag(Git(git_repo.path)) is None


def test_a_tag_on_another_branch_is_not_the_last_release(git_repo: GitRepo) -> None:
    git_repo.git("tag", "v1.0.0")
    git_repo.git("switch", "-q", "-c", "maintenance")
    commit(git_repo, "fix: backport")
    git_repo.git("tag", "v1.0.1")
    git_repo.git("switch", "-q", "main")
    commit(git_repo, "feat: new")
    assert draft.last_release_tag(Git(git_repo.path)) == "v1.0.0"


def test_merge_commits_are_left_out(git_repo: GitRepo) -> None:
    git_repo.git("tag", "v1.0.0")
    git_repo.git("switch", "-q", "-c", "topic")
    commit(git_repo, "feat: from a branch")
    git_repo.git("switch", "-q", "main")
    commit(git_repo, "fix: on main")
    git_repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")
    proposal = draft.draft(Git(git_repo.path))
    assert sorted(e.text for e in proposal.entries) == ["From a branch", "On main"]
    assert proposal.commits == 2


def test_messages_with_separators_and_bodies(git_repo: GitRepo) -> None:
    git_repo.git("tag", "v1.0.0")
    commit(git_repo, "feat: one\n\nbody line\n\nBREAKING CHANGE: it breaks")
    commit(git_repo, "fix: two \x1f three")
    commits = draft.commits_since(Git(git_repo.path), "v1.0.0")
    assert [c.subject for c in commits] == ["feat: one", "fix: two \x1f three"]
    assert commits[0].body == "body line\n\nBREAKING CHANGE: it breaks"
    assert draft.classify(commits[0]) == Entry("added", "**Breaking:** One", commits[0].sha)


def test_a_repository_without_commits(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    with pytest.raises(GitError, match="names no commit"):
        draft.draft(Git(tmp_path))


def test_cli_draft(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from releasekit.cli import program

    git_repo.git("tag", "v1.2.0")
    commit(git_repo, "feat: add a flag")
    commit(git_repo, "chore: tidy")
    monkeypatch.chdir(git_repo.path)
    program.run(["releasekit", "changelog", "draft"])
    out, err = capsys.readouterr()
    assert out == "### Added\n\n- Add a flag\n"
    assert err == (
        "releasekit: 2 commit(s) since v1.2.0; 1 entr(ies) proposed, "
        "1 left out (docs, tests, chores...)\n"
    )
