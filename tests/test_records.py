"""Other tools' version records (records.py) and the import packages (packages.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import GitRepo, write_files
from packaging.version import Version

from releasekit.errors import VersionPlaceError
from releasekit.files import apply_edits
from releasekit.packages import import_packages
from releasekit.project import describe_places, load_project, version_edits

HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
STATIC = HATCH + '[project]\nname = "sample"\nversion = "1.2.0"\n'


def bump_to(root: Path, new: str) -> None:
    project = load_project(root)
    apply_edits(version_edits(project.places, project.spell(Version(new))))


def test_bumpversion_cfg_is_edited_as_bumpversion_would(git_repo: GitRepo) -> None:
    # Modelled on the many projects still on bumpversion's .bumpversion.cfg.
    cfg = (
        "[bumpversion]\ncurrent_version = 1.2.0\ncommit = True\n\n"
        "[bumpversion:file:README.md]\nsearch = version {current_version}\n"
        "replace = version {new_version}\n\n"
        "[bumpversion:file:VERSION.txt]\n"
    )
    write_files(
        git_repo.path,
        {
            ".bumpversion.cfg": cfg,
            "README.md": "This is version 1.2.0 (not 1.2.0-old).\n",
            "VERSION.txt": "1.2.0\n",
        },
    )
    bump_to(git_repo.path, "1.3.0")
    assert (
        "current_version = 1.3.0\ncommit = True" in (git_repo.path / ".bumpversion.cfg").read_text()
    )
    assert (git_repo.path / "README.md").read_text() == "This is version 1.3.0 (not 1.2.0-old).\n"
    assert (git_repo.path / "VERSION.txt").read_text() == "1.3.0\n"


def test_tbump_records(git_repo: GitRepo) -> None:
    # Modelled on tbump's own tbump.toml: [version] current and [[file]] entries with search.
    write_files(
        git_repo.path,
        {
            "tbump.toml": "[version]\ncurrent = \"1.2.0\"\nregex = '''(?P<major>\\d+)'''\n\n"
            '[git]\ntag_template = "v{new_version}"\n\n'
            '[[file]]\nsrc = "src/sample/__init__.py"\n'
            "search = '__version__ = \"{current_version}\"'\n",
            "src/sample/__init__.py": '__version__ = "1.2.0"\n',
        },
    )
    project = load_project(git_repo.path)
    assert any("tbump version.current" in line for line in describe_places(project))
    bump_to(git_repo.path, "1.2.1")
    assert 'current = "1.2.1"' in (git_repo.path / "tbump.toml").read_text()
    assert (git_repo.path / "src/sample/__init__.py").read_text() == '__version__ = "1.2.1"\n'


def test_entries_releasekit_cannot_edit_are_named(git_repo: GitRepo) -> None:
    write_files(
        git_repo.path,
        {
            "pyproject.toml": STATIC + '\n[tool.bumpversion]\ncurrent_version = "1.2.0"\n\n'
            '[[tool.bumpversion.files]]\nfilename = "x.txt"\nsearch = "{major}.{minor}"\n\n'
            '[[tool.bumpversion.files]]\nfilename = "y.txt"\nignore_missing_version = true\n',
            "x.txt": "1.2\n",
            "y.txt": "nothing\n",
            ".cz.json": "{}\n",
        },
    )
    project = load_project(git_repo.path)
    left = "\n".join(project.left_alone)
    assert "placeholders {major}, {minor}" in left
    assert "ignore_missing_version" in left
    assert ".cz.json: commitizen settings in JSON or YAML are not read" in left


def test_a_disagreeing_tool_record_is_refused(git_repo: GitRepo) -> None:
    write_files(
        git_repo.path, {"pyproject.toml": STATIC + '\n[tool.commitizen]\nversion = "1.1.0"\n'}
    )
    with pytest.raises(
        VersionPlaceError, match=r"disagree: .*\(tool\.commitizen\.version\) = '1\.1\.0'"
    ):
        _ = load_project(git_repo.path).version


def test_commitizen_with_the_pep621_provider_keeps_no_version_of_its_own(git_repo: GitRepo) -> None:
    write_files(
        git_repo.path,
        {
            "pyproject.toml": STATIC + '\n[tool.commitizen]\nversion_provider = "pep621"\n'
            'version_files = ["docs/x.md"]\n',
            "docs/x.md": "sample 1.2.0\n",
        },
    )
    bump_to(git_repo.path, "1.2.1")
    assert (git_repo.path / "docs/x.md").read_text() == "sample 1.2.1\n"
    assert 'version = "1.2.1"' in (git_repo.path / "pyproject.toml").read_text()


@pytest.mark.parametrize(
    ("pyproject", "dirs", "expected"),
    [
        (  # hatch packages
            '[build-system]\nbuild-backend = "hatchling.build"\n[project]\nname = "dist-name"\n'
            '[tool.hatch.build.targets.wheel]\npackages = ["src/other"]\n',
            ["src/other", "src/dist_name"],
            ["src/other"],
        ),
        (  # setuptools find with where
            '[build-system]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "x"\n'
            '[tool.setuptools.packages.find]\nwhere = ["lib"]\n',
            ["lib/alpha", "lib/tests"],
            ["lib/alpha"],
        ),
        (  # uv_build module-name under the default module-root src
            '[build-system]\nbuild-backend = "uv_build"\n[project]\nname = "x"\n'
            '[tool.uv.build-backend]\nmodule-name = "y"\n',
            ["src/y"],
            ["src/y"],
        ),
        (  # poetry namespace include: the subpackage the distribution name spells comes first
            '[build-system]\nbuild-backend = "poetry.core.masonry.api"\n'
            '[project]\nname = "poetry-core"\n'
            '[tool.poetry]\npackages = [{ include = "poetry", from = "src" }]\n',
            ["src/poetry/core", "src/poetry/core/_vendor/lib"],
            ["src/poetry/core", "src/poetry"],
        ),
        (  # nothing configured: the import name under src/
            '[build-system]\nbuild-backend = "flit_core.buildapi"\n[project]\nname = "my-pkg"\n',
            ["src/my_pkg", "vendor/my_pkg"],
            ["src/my_pkg"],
        ),
    ],
)
def test_import_packages_come_from_the_backend(
    tmp_path: Path, pyproject: str, dirs: list[str], expected: list[str]
) -> None:
    for name in dirs:
        write_files(tmp_path, {f"{name}/__init__.py": ""})
    found = import_packages(tmp_path, tomllib.loads(pyproject))
    assert [p.path.relative_to(tmp_path.resolve()).as_posix() for p in found] == expected
