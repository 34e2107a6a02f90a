"""The README's fresh-machine commands: they fail loudly instead of running nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import BIN

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.repo_files  # runs this repository's own noxfile
def test_a_missing_interpreter_fails_the_nox_run(tmp_path: Path) -> None:
    # Before, nox skipped a session whose Python was missing and exited 0 having run nothing.
    done = subprocess.run(
        [str(BIN / "nox"), "-s", "lint", "-P", "3.99", "--envdir", str(tmp_path / "nox")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Python interpreter 3.99 not found" in done.stderr


@pytest.mark.repo_files
def test_readme_commands_need_no_system_pip_and_no_pinned_python() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    fresh = readme.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    # PEP 668 systems refuse `python3 -m pip install` into the system Python: use a venv.
    assert "python3 -m venv" in fresh
    assert "python3 -m pip install" not in fresh
    # Any supported Python: no session pinned to one exact version.
    assert "tests-3.11" not in fresh
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "nox -s lint tests -P python3" in ci
