"""`release` and `status` on real repositories: every check refuses and changes nothing."""

from __future__ import annotations

import contextlib
import datetime
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BIN, GitRepo, git, run_cli, write_files
from hypothesis import given
from hypothesis import strategies as st

from releasekit import release as releasing
from releasekit import versions
from releasekit.errors import ChecksFailedError, LockError, TagError, VersionError
from releasekit.lock import release_lock

CHANGELOG = """\
# Changelog

## [Unreleased]

### Added

- The frobnicator. # not a comment
- A second line.

## [1.2.0] - 2025-06-01

### Fixed

- An old bug.
"""

PROJECT: dict[str, str | bytes] = {
    "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"'
    '\n\n[project]\nname = "sample"\nversion = "1.2.0"  # keep\n',
    "src/sample/__init__.py": '__version__ = "1.2.0"\n',
    "CHANGELOG.md": CHANGELOG,
    ".gitignore": "build/\n",
}

DATE = datetime.date(2026, 2, 3)
Factory = Callable[..., GitRepo]


@pytest.fixture
def repo(make_repo: Factory) -> GitRepo:
    """A project at 1.2.0 with a changelog with Unreleased entries, pushed to origin."""
    made = make_repo(PROJECT)
    made.git("tag", "-a", "-m", "1.2.0", "v1.2.0")
    made.git("push", "-q", "origin", "v1.2.0")
    return made


def opts(target: str = "minor", **kwargs: object) -> releasing.Options:
    return releasing.Options(target=target, date=DATE, **kwargs)  # type: ignore[arg-type]


def run(repo: GitRepo, options: releasing.Options) -> list[str]:
    lines: list[str] = []
    releasing.release(repo.path, options, lines.append)
    return lines


def refused(repo: GitRepo, options: releasing.Options) -> list[str]:
    """Run a release that must be refused by the checks; return the failures."""
    before = repo.state()
    with pytest.raises(ChecksFailedError) as caught:
        run(repo, options)
    assert repo.state() == before
    return caught.value.failures


def clone(repo: GitRepo, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(repo.remote), str(where))
    for key, value in (("user.name", "Other"), ("user.email", "other@example.invalid")):
        git(where, "config", key, value)
    return where


# --- a release that goes through -----------------------------------------------------------


def test_release_commits_tags_and_pushes(repo: GitRepo) -> None:
    write_files(repo.path, {"notes.txt": "untracked, never committed\n"})
    lines = run(repo, opts())
    assert lines[0] == "releasing sample 1.2.0 -> 1.3.0 (tag v1.3.0, branch main, remote origin)"
    assert any(line.startswith("tagging v1.3.0 (annotated)") for line in lines)
    assert lines[-1] == "released 1.3.0"
    head = repo.git("rev-parse", "HEAD")
    assert git(repo.remote, "rev-parse", "main") == head
    assert git(repo.remote, "rev-parse", "v1.3.0^{commit}") == head
    assert repo.git("cat-file", "-t", "v1.3.0") == "tag"
    assert repo.git("log", "-1", "--format=%s") == "Release 1.3.0"
    assert repo.git("show", "--name-only", "--format=", "HEAD").splitlines() == [
        "CHANGELOG.md",
        "pyproject.toml",
        "src/sample/__init__.py",
    ]
    assert repo.git("status", "--porcelain") == "?? notes.txt"
    message = repo.git("tag", "-l", "--format=%(contents)", "v1.3.0")
    assert "- The frobnicator. # not a comment" in message
    assert "### Added" in message  # kept verbatim: git would strip '#' lines otherwise
    log = (repo.path / "CHANGELOG.md").read_text()
    assert "## [1.3.0] - 2026-02-03" in log
    assert 'version = "1.3.0"  # keep' in (repo.path / "pyproject.toml").read_text()


def test_ahead_of_the_remote_is_allowed(repo: GitRepo) -> None:
    write_files(repo.path, {"extra.txt": "x\n"})
    local = repo.commit_all("local work")
    run(repo, opts("patch"))
    assert git(repo.remote, "rev-parse", "main~1") == local


def test_no_push_stops_after_the_tag(repo: GitRepo) -> None:
    remote_before = repo.state()["remote"]
    lines = run(repo, opts(push=False))
    assert lines[-1] == "released 1.3.0 locally (not pushed)"
    assert repo.git("rev-parse", "v1.3.0^{commit}") == repo.git("rev-parse", "HEAD")
    assert repo.state()["remote"] == remote_before


def test_next_dev_commits_the_development_version(repo: GitRepo) -> None:
    run(repo, opts(next_dev=True))
    assert repo.git("log", "-2", "--format=%s").splitlines() == [
        "Start development of 1.3.1.dev0",
        "Release 1.3.0",
    ]
    assert repo.git("rev-parse", "v1.3.0^{commit}") == repo.git("rev-parse", "HEAD~1")
    assert git(repo.remote, "rev-parse", "main") == repo.git("rev-parse", "HEAD")
    assert '__version__ = "1.3.1.dev0"' in (repo.path / "src/sample/__init__.py").read_text()


def test_dry_run_prints_the_plan_and_changes_nothing(repo: GitRepo) -> None:
    before = repo.state()
    lines = run(repo, opts(dry_run=True, next_dev=True))
    text = "\n".join(lines)
    assert repo.state() == before
    for expected in (
        "would release sample 1.2.0 -> 1.3.0",
        "ok: work tree clean",
        "would write pyproject.toml, src/sample/__init__.py, CHANGELOG.md",
        "would commit 'Release 1.3.0' on main (3 file(s))",
        "would tag v1.3.0 (annotated) with message:",
        "    | - The frobnicator. # not a comment",
        "would write and commit the next development version 1.3.1.dev0",
        "would push main and v1.3.0 to origin in one atomic push",
        "dry run: nothing was changed",
    ):
        assert expected in text


def test_dry_run_exits_non_zero_when_a_check_fails(repo: GitRepo) -> None:
    write_files(repo.path, {"README": "dirty\n"})
    repo.git("add", "README")
    failures = refused(repo, opts(dry_run=True))
    assert [f.split(":")[0] for f in failures] == ["work tree clean"]


# --- every check refuses, and changes nothing ----------------------------------------------


def _dirty(repo: GitRepo) -> None:
    write_files(repo.path, {"src/sample/__init__.py": '__version__ = "1.2.0"\nx = 1\n'})


def _staged(repo: GitRepo) -> None:
    write_files(repo.path, {"new.txt": "staged\n"})
    repo.git("add", "new.txt")


def _other_branch(repo: GitRepo) -> None:
    repo.git("switch", "-q", "-c", "feature")


def _detached(repo: GitRepo) -> None:
    repo.git("switch", "-q", "--detach")


def _behind(repo: GitRepo) -> None:
    other = clone(repo, repo.path.parent / "other")
    write_files(other, {"other.txt": "x\n"})
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "remote work")
    git(other, "push", "-q", "origin", "main")


def _diverged(repo: GitRepo) -> None:
    _behind(repo)
    write_files(repo.path, {"mine.txt": "y\n"})
    repo.commit_all("local work")


def _tag_local(repo: GitRepo) -> None:
    repo.git("tag", "v1.3.0", "HEAD")


def _tag_remote(repo: GitRepo) -> None:
    repo.git("push", "-q", "origin", "HEAD:refs/tags/v1.3.0")


def _later_tag(repo: GitRepo) -> None:
    repo.git("tag", "-a", "-m", "2.0", "v2.0.0", "HEAD")


def _later_tag_on_line(repo: GitRepo) -> None:
    # Not in this branch's history, but on the line of the new version (1.3): blocks it.
    repo.git("switch", "-q", "-c", "other")
    repo.git("commit", "-q", "--allow-empty", "-m", "elsewhere")
    repo.git("tag", "-a", "-m", "1.3.1", "v1.3.1")
    repo.git("switch", "-q", "main")


def _empty_unreleased(repo: GitRepo) -> None:
    text = CHANGELOG.replace(
        "### Added\n\n- The frobnicator. # not a comment\n- A second line.\n\n", ""
    )
    write_files(repo.path, {"CHANGELOG.md": text})
    repo.commit_all("empty")
    repo.git("push", "-q", "origin", "main")


def _no_changelog(repo: GitRepo) -> None:
    repo.git("rm", "-q", "CHANGELOG.md")
    repo.commit_all("no changelog")
    repo.git("push", "-q", "origin", "main")


def _disagree(repo: GitRepo) -> None:
    write_files(repo.path, {"src/sample/__init__.py": '__version__ = "1.1.0"\n'})
    repo.commit_all("disagree")
    repo.git("push", "-q", "origin", "main")


def _untracked_changelog(repo: GitRepo) -> None:
    repo.git("rm", "-q", "--cached", "CHANGELOG.md")
    repo.git("commit", "-q", "-m", "untrack")
    repo.git("push", "-q", "origin", "main")


def _no_remote(repo: GitRepo) -> None:
    repo.git("remote", "remove", "origin")


CHECKS = [
    (_dirty, "minor", "work tree clean", "'src/sample/__init__.py'; commit or stash"),
    (_staged, "minor", "work tree clean", "'new.txt'"),
    (_other_branch, "minor", "on the release branch", "on branch 'feature'"),
    (_detached, "minor", "on the release branch", "HEAD is detached; run 'git switch main'"),
    (_behind, "minor", "up to date with the remote", "1 commit(s) behind origin/main"),
    (_diverged, "minor", "up to date with the remote", "diverged from origin/main"),
    (_tag_local, "minor", "tag is new", "'v1.3.0' already exists locally"),
    (_tag_remote, "minor", "tag is new", "already published on 'origin'; release the next free"),
    (None, "1.1.0", "version goes forward", "not greater than the current version '1.2.0'"),
    (_later_tag, "minor", "version goes forward", "HEAD is already tagged 'v2.0.0'"),
    (_later_tag_on_line, "minor", "version goes forward", "release tag 'v1.3.1' on its line 1.3"),
    (_empty_unreleased, "minor", "changelog can be promoted", ""),
    (_no_changelog, "minor", "changelog can be promoted", "'CHANGELOG.md' does not exist"),
    (_disagree, "1.3.0", "version places agree", "disagree"),
    (_untracked_changelog, "minor", "release files tracked", "'CHANGELOG.md' not tracked"),
    (_no_remote, "minor", "remote reachable", "no remote 'origin' is configured"),
]


@pytest.mark.parametrize(
    ("setup", "target", "check", "message"), CHECKS, ids=lambda v: getattr(v, "__name__", None)
)
def test_each_check_refuses_and_changes_nothing(
    repo: GitRepo, setup: Callable[[GitRepo], None] | None, target: str, check: str, message: str
) -> None:
    if setup is not None:
        setup(repo)
    failures = refused(repo, opts(target))
    assert [failure.split(":")[0] for failure in failures] == [check]
    assert message in failures[0]


def test_allow_empty_releases_an_empty_unreleased_section(repo: GitRepo) -> None:
    _empty_unreleased(repo)
    refused(repo, opts())
    run(repo, opts(allow_empty=True))
    assert repo.git("rev-parse", "v1.3.0^{commit}") == repo.git("rev-parse", "HEAD")


def test_all_failures_are_reported_together(repo: GitRepo) -> None:
    _tag_local(repo)
    _dirty(repo)
    _other_branch(repo)
    failures = refused(repo, opts())
    assert {failure.split(":")[0] for failure in failures} == {
        "work tree clean",
        "on the release branch",
        "tag is new",
    }


def test_a_bad_part_is_a_usage_error(repo: GitRepo) -> None:
    before = repo.state()
    with pytest.raises(VersionError):
        run(repo, opts("rc"))
    assert repo.state() == before


def test_the_branch_comes_from_the_config(make_repo: Factory) -> None:
    files = dict(PROJECT)
    files["pyproject.toml"] = (
        str(files["pyproject.toml"]) + '\n[tool.releasekit]\nbranch = "trunk"\n'
    )
    made = make_repo(files)
    failures = refused(made, opts())
    assert "releases are made from 'trunk'" in failures[0]


def test_a_shallow_clone_is_refused_not_misread(repo: GitRepo, tmp_path: Path) -> None:
    repo.git("commit", "-q", "--allow-empty", "-m", "after the release")
    repo.git("push", "-q", "origin", "main")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{repo.remote}", str(shallow))
    for key, value in (("user.name", "CI"), ("user.email", "ci@example.invalid")):
        git(shallow, "config", key, value)
    made = GitRepo(path=shallow, remote=repo.remote)
    failures = refused(made, opts())
    assert any("shallow clone" in f and "git fetch --unshallow --tags" in f for f in failures)
    git(shallow, "fetch", "-q", "--unshallow", "--tags")
    assert "v1.3.0" in "\n".join(run(made, opts(push=False)))


def _ssh_signing(repo: GitRepo, tmp_path: Path) -> Path:
    """Configure git to sign with a fresh SSH key (no gpg agent needed); return allowed-signers."""
    key = tmp_path / "signing_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tester", "-f", str(key)],
        check=True,
    )
    allowed = tmp_path / "allowed_signers"
    public = (tmp_path / "signing_key.pub").read_text().strip()
    allowed.write_text(f"tester@example.invalid {public}\n")
    repo.git("config", "gpg.format", "ssh")
    repo.git("config", "user.signingkey", str(key))
    repo.git("config", "gpg.ssh.allowedSignersFile", str(allowed))
    return allowed


@pytest.mark.parametrize("how", ["--sign", "tag.gpgSign"])
def test_signed_tags(repo: GitRepo, tmp_path: Path, how: str) -> None:
    _ssh_signing(repo, tmp_path)
    if how == "tag.gpgSign":
        repo.git("config", "tag.gpgSign", "true")
    lines = run(repo, opts(sign=how == "--sign"))
    assert "tagging v1.3.0 (to be signed)" in lines, lines
    assert "tagged v1.3.0 (signed: SSH signature present on the tag)" in lines, lines
    verified = subprocess.run(
        ["git", "tag", "-v", "v1.3.0"], cwd=repo.path, capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert "Good" in verified.stderr
    remote_tag = git(repo.remote, "cat-file", "-p", "v1.3.0")
    assert "-----BEGIN SSH SIGNATURE-----" in remote_tag


def test_unsigned_by_default(repo: GitRepo) -> None:
    assert "tagging v1.3.0 (annotated)" in run(repo, opts())
    assert "SIGNATURE" not in repo.git("cat-file", "-p", "v1.3.0")


# --- the lock ---------------------------------------------------------------------------


def test_a_held_lock_refuses_a_second_release(repo: GitRepo) -> None:
    before = repo.state()
    with (
        release_lock(repo.path / ".git"),
        pytest.raises(LockError, match="another releasekit command is writing"),
    ):
        run(repo, opts())
    assert repo.state() == before
    run(repo, opts())  # the lock is gone with its holder


def test_two_releases_at_once_exactly_one_succeeds(repo: GitRepo) -> None:
    gate = repo.path.parent / "gate"
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(f'#!/bin/sh\nwhile [ ! -e "{gate}" ]; do sleep 0.05; done\n')
    hook.chmod(0o755)
    command = [str(BIN / "releasekit"), "release", "minor", "--date", "2026-02-03"]
    procs = [
        subprocess.Popen(
            command, cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    try:
        waiting = list(procs)
        first = None
        for _ in range(2400):
            done = [proc for proc in waiting if proc.poll() is not None]
            if done:
                first = done[0]
                break
            time.sleep(0.05)
        assert first is not None
        gate.touch()
        results = [(proc.wait(timeout=120), *proc.communicate()) for proc in procs]
    finally:
        gate.touch()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert sorted(code for code, _, _ in results) == [0, 1]
    loser = next(err for code, _, err in results if code == 1)
    assert "another releasekit command is writing in this repository" in loser
    assert git(repo.remote, "rev-parse", "v1.3.0^{commit}") == repo.git("rev-parse", "HEAD")


# --- status and the front doors ------------------------------------------------------------


def test_status_reports_without_changing_anything(repo: GitRepo) -> None:
    write_files(repo.path, {"a.txt": "a\n"})
    repo.commit_all("one")
    before = repo.state()
    result = run_cli(repo.path, "status")
    assert repo.state() == before
    assert result.code == 0, result.err
    for expected in (
        "version: 1.2.0",
        "last release tag: v1.2.0",
        "commits since v1.2.0: 1",
        "unreleased changelog entries: yes",
        "release patch now: 1.2.0 -> 1.2.1 (tag v1.2.1)",
        "ok: up to date with the remote: not behind origin/main; 1 local commit(s) ship",
        "ready to release",
    ):
        assert expected in result.out


def test_status_fails_when_a_release_would_be_refused(repo: GitRepo) -> None:
    _dirty(repo)
    result = run_cli(repo.path, "status", "--target", "major")
    assert result.code == 1
    assert "FAILED: work tree clean" in result.out
    assert "release major now: 1.2.0 -> 2.0.0" in result.out
    assert "Traceback" not in result.err


def test_full_release_through_invoke(repo: GitRepo) -> None:
    result = run_cli(repo.path, "release", "1.3.0", "--date", "2026-02-03", door="invoke")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "released 1.3.0"
    message = git(repo.remote, "tag", "-l", "--format=%(contents)", "v1.3.0")
    assert message.startswith("### Added\n\n- The frobnicator. # not a comment\n- A second line.")
    log = git(repo.remote, "show", "v1.3.0:CHANGELOG.md")
    assert "## [1.3.0] - 2026-02-03" in log
    assert "## [Unreleased]" in log


@pytest.mark.parametrize(
    ("args", "code", "err"),
    [
        (("release", "minor", "--date", "03/02/2026"), 2, "--date '03/02/2026' is not a date"),
        (("release", "bogus"), 2, "'bogus' is not a valid PEP 440 version"),
        (("release", "1.2.0"), 1, "version goes forward: new version '1.2.0' is not greater"),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    repo: GitRepo, args: tuple[str, ...], code: int, err: str
) -> None:
    before = repo.state()
    result = run_cli(repo.path, *args)
    assert (result.code, repo.state()) == (code, before)
    assert err in result.err
    assert "Traceback" not in result.err


def test_secrets_in_the_remote_url_are_never_printed(repo: GitRepo) -> None:
    canary = "canary-token-8f3a"
    repo.git("remote", "set-url", "origin", f"https://user:{canary}@127.0.0.1:9/repo.git")
    result = run_cli(repo.path, "release", "minor", env={"GIT_TERMINAL_PROMPT": "0", **os.environ})
    assert result.code == 1
    assert "remote reachable" in result.err
    assert canary not in result.out + result.err


# --- the latest release tag ------------------------------------------------------------------

TAG_NAMES = st.lists(
    st.one_of(
        st.lists(st.integers(0, 12), min_size=1, max_size=4).map(
            lambda parts: "v" + ".".join(map(str, parts))
        ),
        st.sampled_from(
            ["v1.0rc1", "v2.0.0.post1", "v1!0.1", "v0!3.0", "v3.0.dev2", "v01.2", "v1.0.0-1",
             "v1.0+local", "x1.0", "v", "vnope", "v3.0.0-alpha", "v 1.0", "v0.0", "v3"]
        ),
    ),
    max_size=30,
)  # fmt: skip


@given(names=TAG_NAMES)
def test_latest_tag_is_the_highest_pep_440_version(names: list[str]) -> None:
    """The fast path for plain X.Y.Z tags picks what parsing every tag would pick."""
    parsed = []
    for name in names:
        with contextlib.suppress(TagError):
            parsed.append(versions.version_from_tag(name, prefix="v"))
    found = versions.latest_release_tag(iter(names), "v")
    if not parsed:
        assert found is None
        return
    assert found is not None
    assert found[1] == max(parsed)
    assert found[0] in names
    assert versions.version_from_tag(found[0], prefix="v") == found[1]


# --- readiness: git can commit and tag here -------------------------------------------------


def _no_identity(repo: GitRepo) -> dict[str, str]:
    repo.git("config", "--unset", "user.name")
    repo.git("config", "--unset", "user.email")
    repo.git("config", "user.useConfigOnly", "true")  # no guessing from the host name
    return {"GIT_AUTHOR_NAME": "", "GIT_COMMITTER_NAME": "", "EMAIL": ""}


@pytest.mark.parametrize("args", [("release", "patch", "--dry-run"), ("status",)], ids=str)
def test_no_git_identity_fails_the_preflight(repo: GitRepo, args: tuple[str, ...]) -> None:
    env = _no_identity(repo)
    before = repo.state()
    result = run_cli(repo.path, *args, env=env)
    assert result.code == 1, result
    assert repo.state() == before
    assert "FAILED: git identity: git has no usable author identity" in result.out
    assert "git config user.email" in result.out
    assert "would write" not in result.out


def test_dry_run_with_failed_checks_never_says_would_write(repo: GitRepo) -> None:
    write_files(repo.path, {"README": "dirty\n"})
    repo.git("add", "README")
    result = run_cli(repo.path, "release", "patch", "--dry-run")
    assert result.code == 1
    assert "would write" not in result.out
    assert "would commit" not in result.out
    assert "dry run: the release would stop here, 1 check(s) failed (above)" in result.out


def test_signing_requested_without_a_key_fails_the_preflight(repo: GitRepo) -> None:
    repo.git("config", "gpg.format", "ssh")
    result = run_cli(repo.path, "release", "patch", "--dry-run", "--sign")
    assert result.code == 1
    assert "FAILED: tag signing: signing with gpg.format=ssh needs user.signingkey" in result.out
    repo.git("config", "--unset", "gpg.format")
    repo.git("config", "tag.gpgSign", "true")
    repo.git("config", "gpg.program", "no-such-gpg-program")
    result = run_cli(repo.path, "release", "patch", "--dry-run")
    assert "FAILED: tag signing: signing needs 'no-such-gpg-program'" in result.out
