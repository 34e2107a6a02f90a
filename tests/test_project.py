"""Finding the version in every layout, and format-preserving bumps (project.py, files.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import snapshot, write_files
from packaging.version import Version

from releasekit.errors import VersionPlaceError, WriteError
from releasekit.files import FileEdit, apply_edits
from releasekit.project import load_project, version_edits

HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'

LAYOUTS: dict[str, dict[str, str]] = {
    "static": {
        "pyproject.toml": HATCH + '[project]\nname = "sample"\nversion = "2.4.0"\n',
    },
    "static-comment-literal-quotes": {
        "pyproject.toml": HATCH
        + "[project]\nname = 'sample'\nversion = '2.4.0'  # DO NOT EDIT\n"
        + 'dependencies = [\n  "a",  # keep\n]\n\n[tool.other]\nversion = "9.9.9"\n',
    },
    "static-with-duplicate-init": {
        "pyproject.toml": HATCH + '[project]\nname = "my-sample"\nversion = "2.4.0"\n',
        "src/my_sample/__init__.py": '"""Doc."""\n\n__version__ = "2.4.0"\n__all__ = ["x"]\n',
    },
    "static-with-version-py-flat": {
        "pyproject.toml": HATCH + '[project]\nname = "sample"\nversion = "2.4.0"\n',
        "sample/__init__.py": "from sample.version import __version__\n",
        "sample/version.py": "__version__: str = '2.4.0'\n",
    },
    "hatch-path": {
        "pyproject.toml": HATCH
        + '[project]\nname = "sample"\ndynamic = ["version"]\n\n'
        + '[tool.hatch.version]\npath = "src/sample/__about__.py"\n',
        "src/sample/__about__.py": '# SPDX\n__version__ = "2.4.0"\n',
    },
    "setuptools-attr": {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "sample"\ndynamic = ["version"]\n\n'
        '[tool.setuptools.dynamic]\nversion = {attr = "sample.__version__"}\n',
        "src/sample/__init__.py": 'import os\n\n__version__ = "2.4.0"  # set by release\n',
    },
    "setuptools-file": {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "sample"\ndynamic = ["version"]\n\n'
        '[tool.setuptools.dynamic]\nversion = {file = "VERSION"}\n',
        "VERSION": "2.4.0\n",
    },
    "flit": {
        "pyproject.toml": '[build-system]\nrequires = ["flit_core>=3.4"]\n'
        'build-backend = "flit_core.buildapi"\n\n'
        '[project]\nname = "sample"\ndynamic = ["version", "description"]\n',
        "sample/__init__.py": '"""A sample."""\n\n__version__ = "2.4.0"\n',
    },
    "pdm-file": {
        "pyproject.toml": '[build-system]\nrequires = ["pdm-backend"]\n'
        'build-backend = "pdm.backend"\n\n'
        '[project]\nname = "sample"\ndynamic = ["version"]\n\n'
        '[tool.pdm.version]\nsource = "file"\npath = "src/sample/__init__.py"\n',
        "src/sample/__init__.py": '__version__ = "2.4.0"\n',
    },
    "poetry": {
        "pyproject.toml": '[build-system]\nrequires = ["poetry-core"]\n'
        'build-backend = "poetry.core.masonry.api"\n\n'
        '[tool.poetry]\nname = "sample"\nversion = "2.4.0"\ndescription = ""\n',
    },
    "extra-files": {
        "pyproject.toml": HATCH + '[project]\nname = "sample"\nversion = "2.4.0"\n\n'
        '[tool.releasekit]\nversion-files = ["plugin/pyproject.toml", "docs/version.txt"]\n',
        "plugin/pyproject.toml": '[project]\nname = "sample-plugin"\nversion = "2.4.0"\n',
        "docs/version.txt": "2.4.0\n",
    },
    "crlf-and-bom": {
        "pyproject.toml": HATCH.replace("\n", "\r\n")
        + '[project]\r\nname = "sample"\r\nversion = "2.4.0"\r\n',
        "src/sample/__init__.py": '\ufeff__version__ = "2.4.0"\r\n',
    },
    "unicode-before-literal": {
        "pyproject.toml": HATCH + '[project]\nname = "sample"\nversion = "2.4.0"\n',
        "src/sample/__init__.py": '__author__ = "Jürgen"; __version__ = "2.4.0"  # ü\n',
    },
}

EXPECTED_PLACES = {
    "static": 1,
    "static-comment-literal-quotes": 1,
    "static-with-duplicate-init": 2,
    "static-with-version-py-flat": 2,
    "hatch-path": 1,
    "setuptools-attr": 1,
    "setuptools-file": 1,
    "flit": 1,
    "pdm-file": 1,
    "poetry": 1,
    "extra-files": 3,
    "crlf-and-bom": 2,
    "unicode-before-literal": 2,
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_bump_round_trips_every_layout(layout: str, tmp_path: Path) -> None:
    write_files(tmp_path, LAYOUTS[layout])
    project = load_project(tmp_path)
    assert project.version == Version("2.4.0")
    assert len(project.places) == EXPECTED_PLACES[layout]
    before = snapshot(tmp_path)

    apply_edits(version_edits(project.places, Version("2.5.0rc1")))

    after = snapshot(tmp_path)
    assert load_project(tmp_path).version == Version("2.5.0rc1")
    for name, old in before.items():
        expected = old
        for place in project.places:
            if place.path.name == Path(name).name and place.path.samefile(tmp_path / name):
                expected = expected.replace(b"2.4.0", b"2.5.0rc1", 1)
        assert after[name] == expected, name
    # and back again, byte for byte
    apply_edits(version_edits(load_project(tmp_path).places, Version("2.4.0")))
    assert snapshot(tmp_path) == before


def test_other_version_keys_are_untouched(tmp_path: Path) -> None:
    write_files(tmp_path, LAYOUTS["static-comment-literal-quotes"])
    apply_edits(version_edits(load_project(tmp_path).places, Version("3.0.0")))
    text = (tmp_path / "pyproject.toml").read_text()
    assert "version = '3.0.0'  # DO NOT EDIT\n" in text
    assert '[tool.other]\nversion = "9.9.9"\n' in text


def test_disagreeing_places_are_listed(tmp_path: Path) -> None:
    files = dict(LAYOUTS["static-with-duplicate-init"])
    files["src/my_sample/__init__.py"] = '__version__ = "2.3.0"\n'
    write_files(tmp_path, files)
    with pytest.raises(VersionPlaceError) as info:
        _ = load_project(tmp_path).version
    message = str(info.value)
    assert "pyproject.toml:7 (project.version) = '2.4.0'" in message
    assert "src/my_sample/__init__.py:1 (__version__) = '2.3.0'" in message


def test_same_version_spelled_differently_disagrees(tmp_path: Path) -> None:
    files = dict(LAYOUTS["static-with-duplicate-init"])
    files["src/my_sample/__init__.py"] = '__version__ = "2.4"\n'
    write_files(tmp_path, files)
    with pytest.raises(VersionPlaceError, match="disagree"):
        _ = load_project(tmp_path).version


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"pyproject.toml": HATCH + '[project]\nname = "s"\n'}, "neither a \\[project\\] version"),
        (
            {"pyproject.toml": HATCH + '[project]\nname = "s"\nversion = "x.y"\n'},
            "not hold a valid PEP 440",
        ),
        (
            {
                "pyproject.toml": HATCH + '[project]\nname = "s"\ndynamic = ["version"]\n\n'
                '[tool.hatch.version]\nsource = "vcs"\n'
            },
            r"comes from git tags \(hatch-vcs\) but .* not inside a git repository",
        ),
        (
            {
                "pyproject.toml": HATCH + '[project]\nname = "s"\ndynamic = ["version"]\n\n'
                '[tool.hatch.version]\npath = "missing.py"\n'
            },
            "not a file inside the project",
        ),
        (
            {
                "pyproject.toml": HATCH + '[project]\nname = "s"\ndynamic = ["version"]\n\n'
                '[tool.hatch.version]\npath = "s.py"\n',
                "s.py": '__version__ = "1.0"\n__version__ = "1.0"\n',
            },
            "assigns __version__ 2 times",
        ),
        (
            {
                "pyproject.toml": HATCH + '[project]\nname = "s"\ndynamic = ["version"]\n\n'
                '[tool.hatch.version]\npath = "s.py"\n',
                "s.py": "__version__ = get_version()\n",
            },
            "string literal",
        ),
        (
            {
                "pyproject.toml": HATCH + '[project]\nname = "s"\ndynamic = ["version"]\n\n'
                '[tool.hatch.version]\npath = "s.py"\n',
                "s.py": '__version__ = "1." "0"\n',
            },
            "plain string literal",
        ),
        (
            {"pyproject.toml": HATCH + '[project]\nname = "s"\ndynamic = ["version"]\n'},
            "cannot tell where it lives",
        ),
        ({"pyproject.toml": "[project\nname="}, "not valid TOML"),
        (
            {
                "pyproject.toml": HATCH
                + '[project]\nname = "s"\nversion = "1"\n[tool.releasekit]\nx = 1\n'
            },
            "unknown key 'x'",
        ),
    ],
)
def test_unusable_layouts_fail_clearly(files: dict[str, str], reason: str, tmp_path: Path) -> None:
    write_files(tmp_path, files)
    with pytest.raises(Exception, match=reason) as info:
        _ = load_project(tmp_path).version
    assert "\n" not in str(info.value)


def test_a_write_that_cannot_be_staged_changes_nothing(tmp_path: Path) -> None:
    write_files(tmp_path, LAYOUTS["static-with-duplicate-init"])
    before = snapshot(tmp_path)
    edits = version_edits(load_project(tmp_path).places, Version("9.0"))
    blocked = tmp_path / "blocked" / "file.txt"  # its directory does not exist
    with pytest.raises(WriteError, match=r"file\.txt'.*nothing was changed"):
        apply_edits([*edits, FileEdit(path=blocked, before=None, after=b"x")])
    assert snapshot(tmp_path) == before


def test_interrupted_write_restores_files(tmp_path: Path) -> None:
    write_files(tmp_path, LAYOUTS["static-with-duplicate-init"])
    before = snapshot(tmp_path)
    edits = version_edits(load_project(tmp_path).places, Version("9.0"))

    class Interrupting(FileEdit):
        @property
        def changes(self) -> bool:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply_edits([edits[0], Interrupting(path=tmp_path / "x", before=None, after=b"")])
    assert snapshot(tmp_path) == before


def test_file_mode_is_kept(tmp_path: Path) -> None:
    write_files(tmp_path, LAYOUTS["static"])
    (tmp_path / "pyproject.toml").chmod(0o640)
    apply_edits(version_edits(load_project(tmp_path).places, Version("3.0")))
    assert (tmp_path / "pyproject.toml").stat().st_mode & 0o777 == 0o640
