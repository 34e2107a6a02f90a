"""`releasekit doctor` on real repositories: what it reports, and that it never shows secrets."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import GitRepo, run_cli

from releasekit.config import Config
from releasekit.doctor import diagnose, environment_names

WORKFLOW = """\
jobs:
  publish:
    environment:
      name: ${{ inputs.test_pypi && 'testpypi' || 'pypi' }}
  other:
    environment: staging
"""


def test_environment_names() -> None:
    assert environment_names(WORKFLOW) == {"testpypi", "pypi", "staging"}


def test_doctor_passes_and_masks(git_repo: GitRepo) -> None:
    (git_repo.path / ".github" / "workflows").mkdir(parents=True)
    (git_repo.path / ".github" / "workflows" / "release.yml").write_text(WORKFLOW)
    result = run_cli(git_repo.path, "doctor", env={"PYPI_TOKEN": "pypi-DOCTORCANARY42"})
    assert result.code == 0, result.err
    assert "credential for pypi: environment (PYPI_TOKEN)" in result.out
    assert "DOCTORCANARY42" not in result.out + result.err
    assert "git identity: Release Tester" in result.out


def test_doctor_fails_on_disagreeing_workflow_and_open_pypirc(git_repo: GitRepo) -> None:
    (git_repo.path / ".github" / "workflows").mkdir(parents=True)
    (git_repo.path / ".github" / "workflows" / "release.yml").write_text(
        WORKFLOW.replace("'pypi'", "'production'")
    )
    pypirc = Path(os.environ["HOME"]) / ".pypirc"
    pypirc.write_text("[pypi]\npassword = AgEnotprefixed\n")
    pypirc.chmod(0o644)
    before = git_repo.state()
    findings = diagnose(git_repo.path, Config(), {"HOME": os.environ["HOME"]})
    failed = {(f.check, f.status) for f in findings if f.status == "fail"}
    assert ("workflow environment", "fail") in failed
    assert (".pypirc", "fail") in failed
    assert any("chmod 600" in f.detail for f in findings)
    assert all("AgEnotprefixed" not in f.line() for f in findings)
    result = run_cli(git_repo.path, "doctor")
    assert result.code == 1
    assert "check(s) failed" in result.err
    assert git_repo.state() == before
