"""`releasekit publish --check`: the plan the release workflow makes before the PyPA action."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import GitRepo, run_cli
from publish_support import index_state

from releasekit.localindex import LocalIndex

pytestmark = pytest.mark.slow


def check(repo: GitRepo, index: LocalIndex, tmp_path: Path) -> tuple[int, str, str, str]:
    """Run `publish --check` with no credential at all; return code, out, err, $GITHUB_OUTPUT."""
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    result = run_cli(
        repo.path,
        "publish",
        "--check",
        "--repository",
        index.upload_url,
        env={"GITHUB_OUTPUT": str(output), "TWINE_USERNAME": "", "TWINE_PASSWORD": ""},
    )
    return result.code, result.out, result.err, output.read_text(encoding="utf-8")


def test_nothing_there_yet_uploads_all_and_skips_nothing(
    released: GitRepo, index: LocalIndex, tmp_path: Path
) -> None:
    code, out, err, output = check(released, index, tmp_path)
    assert code == 0, err
    assert out.count("would upload ") == 2
    assert "credential" not in out  # the plan needs none
    assert output == "skip-existing=false\n"
    assert index_state(index.packages) == {}


def test_identical_file_there_tells_the_action_to_skip_existing(
    released: GitRepo, index: LocalIndex, tmp_path: Path
) -> None:
    wheel = next(p for p in (released.path / "dist").iterdir() if p.suffix == ".whl")
    shutil.copy(wheel, index.packages / wheel.name)
    code, out, err, output = check(released, index, tmp_path)
    assert code == 0, err
    assert f"skipping {wheel.name}: already on the index, identical sha256" in out
    assert out.count("would upload ") == 1
    assert output == "skip-existing=true\n"


def test_other_bytes_there_stop_before_anything_is_uploaded(
    released: GitRepo, index: LocalIndex, tmp_path: Path
) -> None:
    wheel = next(p for p in (released.path / "dist").iterdir() if p.suffix == ".whl")
    (index.packages / wheel.name).write_bytes(b"another wheel")
    before = index_state(index.packages)
    code, _out, err, output = check(released, index, tmp_path)
    assert code == 1
    assert err.startswith("releasekit: error: ")
    assert "already on the index with different content" in err
    assert output == ""  # no skip-existing: the publish job does not run
    assert index_state(index.packages) == before


def test_check_refuses_the_embedded_index(released: GitRepo) -> None:
    result = run_cli(released.path, "publish", "--check", "--repository", "local")
    assert result.code == 1
    assert "--check plans against an index that exists" in result.err
