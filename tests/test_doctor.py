"""`releasekit doctor` on real repositories: what it reports, and that it never shows secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import GitRepo, run_cli, write_files

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


def test_doctor_fails_when_a_workflow_calls_a_missing_session(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "sample"\nversion = "1.0"\n',
            "noxfile.py": "import nox\n\n\n@nox.session\ndef tests(session):\n    pass\n",
            ".github/workflows/ci.yml": "jobs:\n  a:\n    steps:\n      - run: nox -s tests\n"
            "      - run: nox -s build test_wheel-3.12 --no-venv\n",
        },
    )
    result = run_cli(tmp_path, "doctor")
    assert result.code == 1
    assert (
        "[fail] workflow sessions: ci.yml calls build, test_wheel, which noxfile.py does not "
        "define; run 'releasekit init' to add them as a marked block, or define them"
    ) in result.out


@pytest.mark.slow
def test_doctor_checks_the_index_has_the_pinned_releasekit(tmp_path: Path) -> None:
    from releasekit.localindex import local_index

    noxfile = 'import nox\n\nRELEASEKIT = "releasekit==9.9.9"\n'
    write_files(tmp_path, {"pyproject.toml": '[project]\nname = "sample"\nversion = "1.0"\n'})
    (tmp_path / "noxfile.py").write_text(noxfile)
    with local_index() as index:
        env = {"PIP_INDEX_URL": index.index_url, "UV_INDEX_URL": index.index_url}
        missing = run_cli(tmp_path, "doctor", env=env)
        assert missing.code == 1
        assert "[fail] releasekit requirement: the generated files install releasekit==9.9.9" in (
            missing.out
        )
        assert "--requirement SPEC" in missing.out
        (index.packages / "releasekit-9.9.9-py3-none-any.whl").write_bytes(b"")
        found = run_cli(tmp_path, "doctor", env=env)
        assert "[  ok] releasekit requirement: releasekit==9.9.9 is on" in found.out
