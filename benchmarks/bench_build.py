"""Cold build + test-the-artifact: releasekit (uv) against the plain pip path, side by side.

    .venv/bin/python benchmarks/bench_build.py [--rounds 5]

Each round starts cold: a fresh clone of a small hatchling project, no reused venv. Package
caches (uv's and pip's) stay warm for both paths, as on a developer machine or a cached CI.

* releasekit: `releasekit build` (sdist, wheel from it, twine check --strict, SHA256SUMS)
  then `releasekit test-wheel` (a fresh venv per file, wheel AND sdist, tests run against it).
* plain: a venv with pip, `pip install build`, `python -m build`; a second venv with pip,
  install the wheel and pytest, run the tests. (It tests the wheel only: less work.)

Prints each round and the medians; the rounds alternate so load drifts hit both.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "benchsample"
version = "0.3.0"
description = "A small project to time builds with."
readme = "README.md"
requires-python = ">=3.11"

[dependency-groups]
test = ["pytest"]
"""

MODULE = '''\
"""Helpers {n}."""


def double(value: int) -> int:
    """Twice `value`."""
    return value * 2 + {n} - {n}
'''

TEST = """\
import pytest

from benchsample import mod{n}


@pytest.mark.parametrize("value", range(20))
def test_double(value):
    assert mod{n}.double(value) == 2 * value
"""


def make_project(root: Path) -> Path:
    """A committed git repository holding a small hatchling project with ten test modules."""
    project = root / "origin"
    (project / "src" / "benchsample").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "README.md").write_text("# benchsample\n\nA small project.\n")
    (project / ".gitignore").write_text("dist/\n")
    (project / "src" / "benchsample" / "__init__.py").write_text('"""benchsample."""\n')
    for n in range(10):
        (project / "src" / "benchsample" / f"mod{n}.py").write_text(MODULE.format(n=n))
        (project / "tests" / f"test_mod{n}.py").write_text(TEST.format(n=n))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    subprocess.run([*git, "-C", str(project), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(project), "commit", "-q", "-m", "bench"], check=True)
    return project


def clone(origin: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    return where


def run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{command} failed:\n{result.stdout}\n{result.stderr}")


def releasekit_path(project: Path) -> float:
    start = time.perf_counter()
    run([str(BIN / "releasekit"), "build"], project)
    run([str(BIN / "releasekit"), "test-wheel"], project)
    return time.perf_counter() - start


def plain_path(project: Path, scratch: Path) -> float:
    start = time.perf_counter()
    tools = scratch / "tools"
    run([sys.executable, "-m", "venv", str(tools)], project)
    run([str(tools / "bin/python"), "-m", "pip", "install", "-q", "build"], project)
    run([str(tools / "bin/python"), "-m", "build"], project)
    wheel = next((project / "dist").glob("*.whl"))
    env = scratch / "testenv"
    run([sys.executable, "-m", "venv", str(env)], project)
    run([str(env / "bin/python"), "-m", "pip", "install", "-q", str(wheel), "pytest"], project)
    run([str(env / "bin/python"), "-m", "pytest", "-q", "tests"], project)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("uv") is None:
        raise SystemExit("uv is not on PATH: the releasekit path would fall back to pip")
    times: dict[str, list[float]] = {"releasekit": [], "plain": []}
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        root = Path(tmp)
        origin = make_project(root)
        # one unmeasured round of each fills the package caches (warm-cache comparison)
        releasekit_path(clone(origin, root / "warm-rk"))
        plain_path(clone(origin, root / "warm-plain"), root / "warm-plain-scratch")
        for n in range(args.rounds):
            for name in ("releasekit", "plain") if n % 2 == 0 else ("plain", "releasekit"):
                project = clone(origin, root / f"{name}-{n}")
                scratch = root / f"{name}-{n}-scratch"
                seconds = (
                    releasekit_path(project)
                    if name == "releasekit"
                    else plain_path(project, scratch)
                )
                times[name].append(seconds)
                print(f"round {n + 1} {name:10} {seconds:6.2f} s", flush=True)
    ours, plain = (statistics.median(times[k]) for k in ("releasekit", "plain"))
    print(f"median releasekit build + test-wheel (wheel and sdist): {ours:6.2f} s")
    print(f"median plain build + venv/pip + tests (wheel only):    {plain:6.2f} s")
    print(f"speed-up: {plain / ours:.1f}x")


if __name__ == "__main__":
    main()
