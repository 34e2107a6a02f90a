"""Time the releasekit command line's start-up against `python -c pass` and tbump, same run.

Usage: .venv/bin/python benchmarks/bench_startup.py [--runs 30]

Each command runs --runs times, interleaved (so machine load hits every tool alike); the
median wall time is reported, and the ratio to `python -c pass` (the floor every Python CLI
pays). tbump runs from benchmarks/.work/venv if installed there (`pip install tbump`).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
PEERS = HERE / ".work" / "venv" / "bin"
BIN = Path(sys.executable).parent
PYPROJECT = '[project]\nname = "sample"\nversion = "1.2.0"\n'


def commands() -> dict[str, list[str]]:
    found = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "releasekit --version": [str(BIN / "releasekit"), "--version"],
        "releasekit --help": [str(BIN / "releasekit"), "--help"],
        "releasekit tag-version v1.2.0": [str(BIN / "releasekit"), "tag-version", "v1.2.0"],
        "releasekit version": [str(BIN / "releasekit"), "version"],
    }
    if (PEERS / "tbump").exists():
        found["tbump --help"] = [str(PEERS / "tbump"), "--help"]
        found["python -c pass (tbump's venv)"] = [str(PEERS / "python"), "-c", "pass"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    found = commands()
    # Every tool gets compiled bytecode, as an installed tool has (PYTHONDONTWRITEBYTECODE
    # would otherwise make each run compile its imports from source again).
    compile_all = (
        "import compileall, sys; [compileall.compile_dir(p, quiet=1) for p in sys.path[1:]]"
    )
    for python in (Path(sys.executable), PEERS / "python"):
        if python.exists():
            subprocess.run([str(python), "-c", compile_all], check=False, capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in found}
    with tempfile.TemporaryDirectory() as project:
        Path(project, "pyproject.toml").write_text(PYPROJECT)
        for _ in range(args.runs):
            for name, command in found.items():
                start = time.perf_counter()
                subprocess.run(command, cwd=project, capture_output=True, check=True)
                times[name].append(time.perf_counter() - start)
    floor = statistics.median(times["python -c pass (floor)"])
    print(f"| command | median ms | x python -c pass |  ({args.runs} runs each, interleaved)")
    print("| --- | ---: | ---: |")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| `{name}` | {median * 1000:.0f} | {median / floor:.1f} |")


if __name__ == "__main__":
    main()
