"""The git layer on real repositories: one call per query, no ref changed by a query."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GitRepo, git, write_files

from releasekit.errors import GitError
from releasekit.git import Git, public_url, redact


def test_changed_tracked_files_ignores_untracked(git_repo: GitRepo) -> None:
    write_files(git_repo.path, {"untracked.txt": "u\n", "staged.txt": "s\n"})
    git_repo.git("add", "staged.txt")
    write_files(git_repo.path, {"pyproject.toml": "changed\n"})
    assert sorted(Git(git_repo.path).changed_tracked_files()) == ["pyproject.toml", "staged.txt"]


def test_renames_are_listed_once(git_repo: GitRepo) -> None:
    git_repo.git("mv", "pyproject.toml", "moved.toml")
    assert Git(git_repo.path).changed_tracked_files() == ["moved.toml"]


def test_tags_match_the_prefix_exactly(git_repo: GitRepo) -> None:
    for name in ("v1.0.0", "v1.1.0", "vx", "release-1.0", "V2.0.0"):
        git_repo.git("tag", name)
    repo = Git(git_repo.path)
    assert sorted(repo.tags("v")) == ["v1.0.0", "v1.1.0", "vx"]
    assert sorted(repo.tags("release-")) == ["release-1.0"]
    assert len(repo.tags("")) == 5
    assert repo.calls == 3


def test_remote_refs_in_one_call_and_fetch_changes_no_ref(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(git_repo.remote), str(other))
    git(
        other,
        "-c",
        "user.name=x",
        "-c",
        "user.email=x@x.invalid",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "e",
    )
    git(other, "push", "-q", "origin", "main")
    git_repo.git("push", "-q", "origin", "HEAD:refs/tags/v9.0.0")
    repo = Git(git_repo.path)
    refs = repo.remote_refs("origin")
    assert refs.default_branch == "main"
    assert set(refs.tags) == {"v9.0.0"}
    theirs = refs.heads["main"]
    assert not repo.has_commit(theirs)
    before = git_repo.git("for-each-ref")
    repo.fetch_branch("origin", "main")
    assert repo.has_commit(theirs)
    assert git_repo.git("for-each-ref") == before
    assert repo.ahead_behind("HEAD", theirs) == (0, 1)


def test_commit_only_commits_only_the_given_files(git_repo: GitRepo) -> None:
    write_files(git_repo.path, {"pyproject.toml": "new\n", "other.txt": "o\n"})
    git_repo.git("add", "other.txt")
    repo = Git(git_repo.path)
    message = git_repo.path.parent / "message.txt"
    message.write_text("only this\n")
    repo.commit_only([git_repo.path / "pyproject.toml"], message)
    assert git_repo.git("show", "--name-only", "--format=", "HEAD") == "pyproject.toml"
    assert git_repo.git("status", "--porcelain") == "A  other.txt"


def test_a_failing_command_names_git_and_hides_credentials(git_repo: GitRepo) -> None:
    git_repo.git("remote", "set-url", "origin", "https://bob:canary-secret@127.0.0.1:9/x.git")
    with pytest.raises(GitError) as caught:
        Git(git_repo.path).remote_refs("origin")
    assert str(caught.value).startswith("git ls-remote failed: ")
    assert "canary-secret" not in str(caught.value)


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="is not inside a git repository"):
        Git(tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fatal: https://u:p@host/x", "fatal: https://***@host/x"),
        ("ssh://git@host/x and http://tok@h/", "ssh://***@host/x and http://***@h/"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_public_url() -> None:
    assert public_url("https://u:secret@github.com/o/r.git") == "https://github.com/o/r.git"
    assert public_url("git@github.com:o/r.git") == "git@github.com:o/r.git"
