"""uv.lock as a version place: a real `uv lock` writes it, releasekit bumps it, uv agrees."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import tomlkit
from conftest import run_cli, snapshot, write_files
from packaging.version import Version

from releasekit import places
from releasekit.errors import VersionPlaceError
from releasekit.files import apply_edits
from releasekit.project import load_project, version_edits

UV = shutil.which("uv")
# Read before the autouse fixture moves HOME: one uv cache for every test and every run.
UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")
pytestmark = pytest.mark.skipif(UV is None, reason="uv is not installed")

HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
BASE = '[project]\nname = "Sample_Pkg"\nversion = "1.2.0"\nrequires-python = ">=3.11"\n'
INIT = {"src/sample_pkg/__init__.py": ""}


def uv(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert UV is not None
    return subprocess.run(
        [UV, *args, "--no-progress"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "UV_CACHE_DIR": UV_CACHE},
    )


def locked(root: Path, files: dict[str, str]) -> None:
    write_files(root, files)
    result = uv(root, "lock")
    assert result.returncode == 0, result.stderr


def assert_lock_current(root: Path) -> None:
    result = uv(root, "lock", "--check")
    assert result.returncode == 0, result.stderr


LAYOUTS = {
    "editable": {"pyproject.toml": HATCH + BASE, **INIT},
    "virtual": {"pyproject.toml": BASE + "\n[tool.uv]\npackage = false\n"},
    "workspace": {
        "pyproject.toml": HATCH + BASE + '\n[tool.uv.workspace]\nmembers = ["plugins/*"]\n'
        '\n[tool.releasekit]\nversion-files = ["plugins/one/pyproject.toml"]\n',
        **INIT,
        "plugins/one/pyproject.toml": HATCH
        + '[project]\nname = "plugin-one"\nversion = "1.2.0"\nrequires-python = ">=3.11"\n',
        "plugins/one/src/plugin_one/__init__.py": "",
    },
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_bump_keeps_uv_lock_current(layout: str, tmp_path: Path) -> None:
    locked(tmp_path, LAYOUTS[layout])
    before = (tmp_path / "uv.lock").read_text()
    project = load_project(tmp_path)
    lock_places = [place for place in project.places if place.kind == "lock"]
    expected = 2 if layout == "workspace" else 1
    assert len(lock_places) == expected
    assert "package[sample-pkg].version" in {place.name for place in lock_places}
    lines = before.splitlines()
    for place in lock_places:
        assert lines[place.line - 1] == 'version = "1.2.0"'
        assert lines[place.line - 2] == f'name = "{place.name[8:-9]}"'

    result = run_cli(tmp_path, "bump", "minor")
    assert result.code == 0, result
    assert "uv.lock" in result.out
    after = (tmp_path / "uv.lock").read_text()
    assert after == before.replace('version = "1.2.0"', 'version = "1.3.0"')
    assert_lock_current(tmp_path)  # uv itself agrees: no re-lock needed
    assert load_project(tmp_path).version == Version("1.3.0")


def test_unedited_lock_is_what_uv_refuses(tmp_path: Path) -> None:
    # The fault the edit fixes: bump pyproject.toml alone and uv reports a stale lock.
    locked(tmp_path, LAYOUTS["editable"])
    places = [p for p in load_project(tmp_path).places if p.kind != "lock"]
    apply_edits(version_edits(places, Version("1.2.1")))
    assert uv(tmp_path, "lock", "--check").returncode != 0


def test_dynamic_version_is_not_in_the_lock(tmp_path: Path) -> None:
    pyproject = (
        HATCH + '[project]\nname = "sample-pkg"\ndynamic = ["version"]\nrequires-python = ">=3.11"'
        '\n\n[tool.hatch.version]\npath = "src/sample_pkg/__init__.py"\n'
    )
    locked(
        tmp_path,
        {"pyproject.toml": pyproject, "src/sample_pkg/__init__.py": '__version__ = "1.0"\n'},
    )
    assert [p.kind for p in load_project(tmp_path).places] == ["python"]
    assert run_cli(tmp_path, "bump", "patch").code == 0
    assert_lock_current(tmp_path)


@pytest.mark.parametrize(
    ("lock", "match"),
    [
        (
            'version = 1\n\n[[package]]\nname = "sample-pkg"\nversion = "1.1.0"\n'
            'source = { editable = "." }\n',
            r"disagree: .*uv.lock:5 \(package\[sample-pkg\].version\) = '1.1.0'",
        ),
        ("version = 1\n[[package]\n", "'uv lock'"),
    ],
    ids=["stale", "not-toml"],
)
def test_bad_lock_fails_in_one_line_and_changes_nothing(
    lock: str, match: str, tmp_path: Path
) -> None:
    write_files(tmp_path, {**LAYOUTS["editable"], "uv.lock": lock})
    before = snapshot(tmp_path)
    with pytest.raises(VersionPlaceError, match=match):
        _ = load_project(tmp_path).version
    result = run_cli(tmp_path, "bump", "patch")
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before


# Modelled on pallets/click's uv.lock (structure only): the project's own editable entry
# with dev-dependency and metadata subtables, among other packages, one with wheels.
CLICK_LIKE_LOCK = """\
version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "alabaster"
version = "1.0.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.example/alabaster-1.0.0.tar.gz", hash = "sha256:aa", size = 1 }
wheels = [
    { url = "https://files.example/alabaster-1.0.0-py3-none-any.whl", hash = "sha256:b", size = 2 },
]

[[package]]
name = "sample-pkg"
version = "1.2.0"
source = { editable = "." }

[package.dev-dependencies]
dev = [
    { name = "alabaster" },
]

[package.metadata]

[package.metadata.requires-dev]
dev = [{ name = "alabaster" }]

[[package]]
name = "sample-pkg-extra"
version = "1.2.0"
source = { registry = "https://pypi.org/simple" }
"""


def _whole_file_edit(text: str, name: str, new: str) -> str:
    """What tomlkit writes when it reads and rewrites the whole lock file."""
    doc = tomlkit.parse(text)
    for package in doc["package"]:
        if package["name"] == name:
            package["version"] = new
            break
    return tomlkit.dumps(doc)


@pytest.mark.parametrize(
    ("lock", "fast"),
    [
        (CLICK_LIKE_LOCK, True),
        # A hand-edited entry whose array puts a line starting with "[" inside the table:
        # the piece is not TOML alone, so the whole file is edited (same result, slower).
        (
            CLICK_LIKE_LOCK.replace(
                'source = { editable = "." }\n',
                'source = { editable = "." }\nmarkers = [\n["x"],\n]\n',
            ),
            False,
        ),
    ],
)
def test_the_lock_edit_touches_only_the_projects_version(
    lock: str, fast: bool, tmp_path: Path
) -> None:
    write_files(tmp_path, {**LAYOUTS["editable"], "uv.lock": lock})
    edits = {
        edit.path.name: edit
        for edit in version_edits(load_project(tmp_path).places, Version("1.3.0"))
    }
    after = edits["uv.lock"].after.decode()
    assert after == _whole_file_edit(lock, "sample-pkg", "1.3.0")
    changed = [line for line in after.splitlines() if line not in lock.splitlines()]
    assert changed == ['version = "1.3.0"']
    assert (places._splice_uv_lock(lock, "sample-pkg", "1.3.0") is not None) == fast
