"""Shared fixtures: real projects on disk and real git repositories with a bare remote."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from releasekit import __version__

# Fixtures of the publishing tests (a built sample release, a local index).
pytest_plugins = ["publish_support"]

# What tests tell `releasekit init` to pin: this (development) releasekit is on no index.
REQUIREMENT = f"releasekit=={__version__}"
BIN = Path(sys.executable).parent

# git must not read the developer's config, ask for passwords, or sign anything.
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
}


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    for name in list(os.environ):
        if name.startswith(("TWINE_", "PYPI_", "TESTPYPI_", "UV_PUBLISH_", "ACTIONS_ID_TOKEN")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("CI", raising=False)  # in CI, publish would try Trusted Publishing


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return its stripped stdout; fail the test on error."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write `files` (relative path -> text or bytes) under `root`, exactly as given."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (outside .git) with its bytes, to compare before and after."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


SIMPLE_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "sample"
version = "1.2.0"
"""


@dataclass
class GitRepo:
    """A real repository on `main` with a bare `origin`, a local identity and no signing."""

    path: Path
    remote: Path

    def git(self, *args: str) -> str:
        """Run git in the work tree."""
        return git(self.path, *args)

    def commit_all(self, message: str = "change") -> str:
        """Stage everything and commit; return the new commit's sha."""
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def state(self) -> dict[str, object]:
        """Everything a release may touch: files, refs, index, HEAD, and the remote's refs."""
        return {
            "files": snapshot(self.path),
            "refs": self.git("for-each-ref", "--format=%(refname) %(objectname)"),
            "index": self.git("ls-files", "--stage"),
            "head": self.git("rev-parse", "--symbolic-full-name", "HEAD")
            + " "
            + self.git("rev-parse", "HEAD"),
            "status": self.git("status", "--porcelain", "--untracked-files=all"),
            "remote": git(self.remote, "for-each-ref", "--format=%(refname) %(objectname)"),
        }


def init_repo(path: Path, files: Mapping[str, str | bytes], *, branch: str = "main") -> GitRepo:
    """Make a real repository at `path` with `files` committed and pushed to a bare origin."""
    path.mkdir(parents=True, exist_ok=True)
    remote = path.parent / f"{path.name}-origin.git"
    git(path.parent, "init", "-q", "--bare", "-b", branch, str(remote))
    git(path.parent, "init", "-q", "-b", branch, str(path))
    for key, value in (
        ("user.name", "Release Tester"),
        ("user.email", "tester@example.invalid"),
        ("commit.gpgsign", "false"),
        ("tag.gpgsign", "false"),
    ):
        git(path, "config", key, value)
    git(path, "remote", "add", "origin", str(remote))
    write_files(path, files)
    repo = GitRepo(path=path, remote=remote)
    repo.commit_all("initial commit")
    repo.git("push", "-q", "-u", "origin", branch)
    return repo


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., GitRepo]:
    """Return a factory of real repositories (see `init_repo`)."""
    counter = iter(range(1000))

    def factory(files: Mapping[str, str | bytes] | None = None, *, branch: str = "main") -> GitRepo:
        chosen = {"pyproject.toml": SIMPLE_PYPROJECT} if files is None else files
        return init_repo(tmp_path / f"repo{next(counter)}", chosen, branch=branch)

    return factory


@pytest.fixture
def git_repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    """A real repository holding a minimal project at version 1.2.0."""
    return make_repo()


@dataclass(frozen=True)
class Run:
    """The result of one command-line run."""

    code: int
    out: str
    err: str


def run_cli(
    cwd: Path, *args: str, door: str = "releasekit", env: Mapping[str, str] | None = None
) -> Run:
    """Run a releasekit task through one door: `releasekit`, `module` (python -m) or `invoke`."""
    commands = {
        "releasekit": [str(BIN / "releasekit")],
        "module": [sys.executable, "-m", "releasekit"],
        "invoke": [str(BIN / "invoke"), "--search-root", str(Path(__file__).parent / "door")],
    }
    result = subprocess.run(
        [*commands[door], *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the tests marked `posix` where there is no POSIX (Windows)."""
    if os.name == "posix":
        return
    skip = pytest.mark.skip(reason="needs POSIX signals, process groups or mode bits")
    for item in items:
        if item.get_closest_marker("posix") is not None:
            item.add_marker(skip)
