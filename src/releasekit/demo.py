"""The README's main job: release, build, test and publish a sample project, all offline.

Everything happens in a temporary directory: a sample project with a git repository and a
local bare remote, the release (tag pushed to that remote), the build, the wheel test, a
publish to the embedded local index (and a second publish showing that a re-run skips what
is already there), `releasekit verify` reading the release back, and finally installing the
release back from that index and running it.
Only the package registries are needed (for hatchling, pypiserver and the like).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from releasekit.localindex import LocalIndex, local_index
from releasekit.publish import install, make_venv

NAME = "releasekit-sample"
MODULE = "releasekit_sample"
SAMPLE_FILES = {
    "pyproject.toml": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{NAME}"\nversion = "0.9.0"\n'
        'description = "A sample project released by the releasekit demo."\n'
        'readme = "README.md"\n'
        'requires-python = ">=3.11"\n\n'
        f'[project.scripts]\nreleasekit-sample = "{MODULE}:main"\n\n'
        '[dependency-groups]\ntest = ["pytest"]\n'
    ),
    f"src/{MODULE}/__init__.py": (
        '"""A sample."""\n\n__version__ = "0.9.0"\n\n\n'
        "def main() -> None:\n"
        '    """Say which version is running."""\n'
        f'    print(f"hello from {NAME} {{__version__}}")\n'
    ),
    "tests/test_sample.py": (
        f"import {MODULE}\n\n\ndef test_version() -> None:\n"
        f'    assert {MODULE}.__version__ == "1.0.0"\n'
    ),
    "CHANGELOG.md": ("# Changelog\n\n## [Unreleased]\n\n### Added\n\n- A greeting.\n"),
    ".gitignore": "dist/\n.demo-venv/\n",
    "README.md": f"# {NAME}\n\nA sample project for the releasekit demo.\n",
}
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "releasekit demo",
    "GIT_AUTHOR_EMAIL": "demo@example.invalid",
    "GIT_COMMITTER_NAME": "releasekit demo",
    "GIT_COMMITTER_EMAIL": "demo@example.invalid",
}


class StepFailed(Exception):
    """A demo step failed; its output has been printed."""


def make_sample(root: Path) -> None:
    """Write the sample project under `root`."""
    for name, text in SAMPLE_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run(title: str, command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> str:
    """Run one step, print its summary (and its output when it fails); return stdout."""
    started = time.monotonic()
    result = subprocess.run(
        list(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **GIT_IDENTITY, **(env or {})},
    )
    seconds = time.monotonic() - started
    mark = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"==> {title}: {mark} [{seconds:.1f}s]", flush=True)
    shown = result.stdout if result.returncode == 0 else result.stdout + result.stderr
    for line in shown.strip().splitlines()[-12:]:
        print(f"    {line}")
    if result.returncode != 0:
        raise StepFailed(title)
    return result.stdout


def releasekit(*args: str) -> list[str]:
    """The command line of a releasekit task, run by this interpreter."""
    return [sys.executable, "-m", "releasekit", *args]


def git(root: Path, *args: str) -> None:
    """Run git quietly in `root` (setup, not a step worth a summary)."""
    subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_IDENTITY},
    )


def make_repository(root: Path, remote: Path) -> None:
    """A git repository on `main` holding the sample, pushed to a local bare `origin`."""
    git(remote.parent, "init", "-q", "--bare", "-b", "main", str(remote))
    git(root, "init", "-q", "-b", "main")
    for key, value in (("commit.gpgsign", "false"), ("tag.gpgsign", "false")):
        git(root, "config", key, value)
    for key, value in GIT_IDENTITY.items():
        field = "name" if key.endswith("NAME") else "email"
        git(root, "config", f"user.{field}", value)
    git(root, "remote", "add", "origin", str(remote))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Start the sample project")
    git(root, "push", "-q", "-u", "origin", "main")


# ---- the release step -------------------------------------------------------------------
# SWITCH HERE: this is the only place the demo releases. It uses `releasekit release`
# (check, changelog, commit, tag, push to the bare remote). Before that task existed it was
# `releasekit bump` + git commit/tag/push; to go back, replace the body with those calls.
def release_sample(root: Path) -> None:
    """Release 1.0.0 of the sample: commit, tag v1.0.0 and push both to `origin`."""
    run(
        "release 1.0.0 (commit, tag, push to the local bare remote)",
        releasekit("release", "1.0.0"),
        root,
    )


def show_remote(remote: Path) -> None:
    """Print the tags the bare remote now holds."""
    tags = subprocess.run(
        ["git", "tag", "--list"], cwd=remote, capture_output=True, text=True, check=True
    ).stdout.split()
    print(f"    the remote holds tag(s): {', '.join(tags) or 'none'}")


def install_and_run(index: LocalIndex, root: Path) -> None:
    """Install the release from the local index into a fresh venv, then run its script."""
    started = time.monotonic()
    python = make_venv(root / ".demo-venv")
    install(python, f"{NAME}==1.0.0", index_url=index.index_url)
    seconds = time.monotonic() - started
    print(f"==> install {NAME}==1.0.0 from the local index into a fresh venv: ok [{seconds:.1f}s]")
    script = python.parent / "releasekit-sample"
    run("run the installed release", [str(script)], root)


def main() -> int:
    """Run every step and print a short summary of each; stop at the first failure."""
    with tempfile.TemporaryDirectory(prefix="releasekit-demo-") as tmp:
        base = Path(tmp)
        root, remote = base / "sample", base / "sample-origin.git"
        root.mkdir()
        make_sample(root)
        make_repository(root, remote)
        print(f"sample project in {root}, its remote in {remote}")
        try:
            run("version before", releasekit("version", "--verbose"), root)
            release_sample(root)
            show_remote(remote)
            run("build sdist and wheel, write SHA256SUMS", releasekit("build"), root)
            run("test the built wheel in a fresh venv", releasekit("test-wheel"), root)
            with local_index() as index:
                print(f"    embedded local index at {index.url}")
                login = {"TWINE_USERNAME": index.username, "TWINE_PASSWORD": index.password}
                url = ["--repository", index.upload_url]
                publish = releasekit("publish", *url)
                run("publish --dry-run", [*publish, "--dry-run"], root, login)
                run("publish to the local index", publish, root, login)
                run(
                    "publish again: a re-run skips identical files",
                    [*publish, "--no-install"],
                    root,
                    login,
                )
                # What the release workflow runs after the PyPA's action: the index serves
                # the bytes SHA256SUMS lists, and the version installs back. pypiserver
                # serves no PEP 740 provenance; on PyPI the attestations are checked too.
                run(
                    "verify what the index serves (sha256 vs SHA256SUMS, provenance, install)",
                    releasekit("verify", *url),
                    root,
                )
                install_and_run(index, root)
        except StepFailed as failed:
            print(f"demo stopped: step {failed} failed")
            return 1
        print("demo finished: released, built, tested, published and installed back")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
