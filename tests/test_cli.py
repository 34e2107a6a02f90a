"""Both front doors (`releasekit`, `python -m releasekit`, `invoke`) give the same results."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, snapshot, write_files

DOORS = ("releasekit", "module", "invoke")

PROJECT = {
    "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"'
    '\n\n[project]\nname = "sample"\nversion = "1.2.0"  # keep\n',
    "src/sample/__init__.py": '__version__ = "1.2.0"\n',
}

CASES = [
    (("tag-version", "v1.0.0-alpha"), 0, "1.0.0a0\n", ""),
    (("tag-version", "v1.2.0-rc.1"), 0, "1.2.0rc1\n", ""),
    (("tag-version", "V1.2.0"), 2, "", "does not start with the tag prefix 'v'"),
    (("tag-version", "v1.0.0-1"), 2, "", "ambiguous"),
    (("tag-version", "--prefix", "", "1.0"), 0, "1.0\n", ""),
    (("check-tag", "v1.2.0"), 0, "1.2.0\n", ""),
    (("check-tag", "v1.2"), 1, "", "names version '1.2' but the project version is '1.2.0'"),
    (("check-tag", "v1.3.0"), 1, "", "tag 'v1.2.0' instead"),
    (("version",), 0, "1.2.0\n", ""),
    (("version", "--verbose"), 0, "1.2.0\n", "src/sample/__init__.py:1 (__version__): 1.2.0"),
    (("bump", "minor", "--dry-run"), 0, "would bump 1.2.0 -> 1.3.0", ""),
    (("bump", "rc"), 2, "", "needs a base part"),
    (("bump", "1.0.0"), 2, "", "not greater"),
]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(("args", "code", "out", "err"), CASES, ids=str)
def test_doors_agree(
    door: str, args: tuple[str, ...], code: int, out: str, err: str, tmp_path: Path
) -> None:
    write_files(tmp_path, PROJECT)
    before = snapshot(tmp_path)
    result = run_cli(tmp_path, *args, door=door)
    assert result.code == code, result
    assert out in result.out
    assert err in result.err
    if code:
        assert result.out == ""
        assert "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before  # no case above writes anything


@pytest.mark.parametrize("door", DOORS)
def test_bump_writes_every_place(door: str, tmp_path: Path) -> None:
    write_files(tmp_path, PROJECT)
    result = run_cli(tmp_path, "bump", "minor", "--pre", "rc", door=door)
    assert result.code == 0, result
    assert 'version = "1.3.0rc1"  # keep\n' in (tmp_path / "pyproject.toml").read_text()
    assert (tmp_path / "src/sample/__init__.py").read_text() == '__version__ = "1.3.0rc1"\n'
    assert run_cli(tmp_path, "version", door=door).out == "1.3.0rc1\n"


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("task", ["tag-version", "check-tag", "version", "bump"])
def test_help_on_every_task(door: str, task: str, tmp_path: Path) -> None:
    result = run_cli(tmp_path, task, "--help", door=door)
    assert result.code == 0, result
    assert f"{task} [--options]" in result.out
    assert "Docstring:" in result.out


def test_list_shows_every_task(tmp_path: Path) -> None:
    listing = run_cli(tmp_path, "--list").out
    for task in ("tag-version", "check-tag", "version", "bump"):
        assert task in listing


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "no-such-task")
    assert result.code == 2
    assert "no-such-task" in result.err


def test_outside_a_project(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "version")
    assert result.code == 1
    assert "no pyproject.toml" in result.err
    assert run_cli(tmp_path, "tag-version", "v2.0").out == "2.0\n"


def test_version_flag(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--version")
    assert result.code == 0
    assert result.out.startswith("releasekit")
