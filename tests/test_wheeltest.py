"""releasekit test-wheel: each built file installed in a fresh venv, tests run against it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest
from buildsample import (
    SAMPLE_PYPROJECT,
    SAMPLE_TEST,
    fake_files,
    sample_files,
    use_real_caches,
)
from conftest import GitRepo, run_cli, snapshot, write_files

from releasekit.build import SUMS, build
from releasekit.errors import BuildError
from releasekit.wheeltest import requirements_for, run_artifact_test
from releasekit.wheeltest_plugin import import_names

WHEEL = "sample-1.2.0-py3-none-any.whl"
SDIST = "sample-1.2.0.tar.gz"


@pytest.fixture(autouse=True)
def _caches(monkeypatch: pytest.MonkeyPatch) -> None:
    use_real_caches(monkeypatch)


@pytest.fixture
def built(make_repo: Callable[..., GitRepo]) -> GitRepo:
    """The sample project, committed, with dist/ built from it."""
    repo = make_repo(sample_files())
    build(repo.path)
    return repo


@pytest.fixture
def fake_built(make_repo: Callable[..., GitRepo]) -> GitRepo:
    """A project built by the in-tree fake backend (fast: nothing to download)."""
    repo = make_repo(fake_files())
    build(repo.path)
    return repo


@pytest.mark.slow
def test_each_file_is_tested_from_its_own_venv(built: GitRepo) -> None:
    result = run_cli(built.path, "test-wheel")
    assert result.code == 0, result.err + result.out
    lines = re.findall(r"^passed (\S+): sample imported from (\S+)$", result.out, re.M)
    assert [name for name, _ in lines] == [SDIST, WHEEL]
    venvs = set()
    for _, where in lines:
        path = Path(where)
        assert path.name == "__init__.py"
        assert "site-packages" in path.parts
        assert not path.is_relative_to(built.path)
        venvs.add(path.parents[4])  # .../venv/lib/pythonX.Y/site-packages/sample/__init__.py
    assert len(venvs) == 2  # a fresh venv for each file
    # the pytest run itself reports where the package came from
    assert result.out.count("releasekit: tested sample 1.2.0: sample imported from ") == 2


@pytest.mark.slow
def test_tests_run_against_the_artifact_not_the_source(built: GitRepo) -> None:
    # The source now answers 43 and the tests expect it; the built files still answer 42.
    source = built.path / "src/sample/__init__.py"
    source.write_text(source.read_text().replace("return 42", "return 43"))
    test = built.path / "tests/test_sample.py"
    test.write_text(SAMPLE_TEST.replace("== 42", "== 43"))
    expected = f"the tests failed against the installed {WHEEL!r}"
    with pytest.raises(BuildError, match=re.escape(expected)):
        run_artifact_test(built.path, built.path / "dist" / WHEEL)


@pytest.mark.slow
def test_a_source_tree_on_the_path_is_caught(built: GitRepo) -> None:
    # pytest's `pythonpath` puts the source tree first; the check must notice the leak.
    src = built.path / "src"
    pyproject = SAMPLE_PYPROJECT.replace(
        'testpaths = ["tests"]', f'testpaths = ["tests"]\npythonpath = ["{src}"]'
    )
    (built.path / "pyproject.toml").write_text(pyproject)
    with pytest.raises(BuildError) as caught:
        run_artifact_test(built.path, built.path / "dist" / WHEEL)
    message = str(caught.value)
    assert f"the tests imported 'sample' from {str(src / 'sample' / '__init__.py')!r}" in message
    assert "not from the venv" in message


@pytest.mark.slow
def test_stdlib_venv_and_pip_when_asked(built: GitRepo) -> None:
    result = run_artifact_test(built.path, built.path / "dist" / WHEEL, installer="pip")
    where = Path(result.locations()["sample"])
    assert where.is_relative_to(result.venv)
    assert result.version == "1.2.0"
    assert "1 passed" in result.output


def test_tampered_dist_is_refused_before_any_install(fake_built: GitRepo) -> None:
    wheel = fake_built.path / "dist" / WHEEL
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    before = fake_built.state()
    result = run_cli(fake_built.path, "test-wheel")
    assert result.code == 1
    assert f"{WHEEL!r} has SHA-256 " in result.err
    assert "testing" not in result.out
    assert fake_built.state() == before


def test_missing_tests_directory(fake_built: GitRepo) -> None:
    before = snapshot(fake_built.path)
    result = run_cli(fake_built.path, "test-wheel", "--tests", "nowhere")
    assert result.code == 1
    assert "nowhere" in result.err
    assert "--tests" in result.err
    assert snapshot(fake_built.path) == before


def test_missing_dist_says_to_build(git_repo: GitRepo) -> None:
    result = run_cli(git_repo.path, "test-wheel")
    assert result.code == 1
    assert SUMS in result.err
    assert "releasekit build" in result.err


def test_bad_installer_is_a_usage_error(git_repo: GitRepo) -> None:
    result = run_cli(git_repo.path, "test-wheel", "--installer", "poetry")
    assert result.code == 2
    assert "'poetry'" in result.err


@pytest.mark.parametrize(
    ("groups", "table", "expected"),
    [
        (["test"], "", ["pytest"]),
        (["test"], 'test = ["pytest>=8", "hypothesis"]', ["pytest>=8", "hypothesis"]),
        (
            ["test"],
            'base = ["pytest"]\ntest = [{include-group = "base"}, "pytest-xdist"]',
            ["pytest", "pytest-xdist"],
        ),
        (["ci", "test"], 'test = ["pytest"]', ["pytest"]),
    ],
)
def test_requirements_from_dependency_groups(
    tmp_path: Path, groups: list[str], table: str, expected: list[str]
) -> None:
    text = '[project]\nname = "x"\nversion = "1"\n'
    if table:
        text += f"\n[dependency-groups]\n{table}\n"
    write_files(tmp_path, {"pyproject.toml": text})
    assert requirements_for(tmp_path, groups) == expected


def test_a_broken_dependency_group_is_reported(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\nversion = "1"\n'
    text += '[dependency-groups]\ntest = [{include-group = "nope"}]\n'
    write_files(tmp_path, {"pyproject.toml": text})
    with pytest.raises(BuildError, match="cannot be resolved"):
        requirements_for(tmp_path, ["test"])


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["sample/__init__.py", "sample-1.2.0.dist-info/RECORD"], ["sample"]),
        (["one.py", "two/__init__.py", "two/sub/x.py", "__pycache__/one.pyc"], ["one", "two"]),
        (["fast.cpython-311-x86_64-linux-gnu.so", "sample.pth", "x-1.data/scripts/a"], ["fast"]),
        (["../../bin/tool"], []),
    ],
)
def test_import_names(files: list[str], expected: list[str]) -> None:
    assert import_names([PurePosixPath(f) for f in files]) == expected


def test_stale_dist_is_refused_as_publish_does(fake_built: GitRepo) -> None:
    # The project moved on (bumped) after dist/ was built: those files are not its files.
    assert run_cli(fake_built.path, "bump", "patch").code == 0
    before = fake_built.state()
    result = run_cli(fake_built.path, "test-wheel")
    assert result.code == 1, result
    assert "are version '1.2.0' but the project is '1.2.1': they are stale" in result.err
    assert "rebuild (nox -s build)" in result.err
    assert "testing" not in result.out
    assert fake_built.state() == before


CANARY = "pypi-CANARY0123456789abcdefXYZ"
LEAKY_TEST = """\
import os
from pathlib import Path

import sample


def test_answer():
    assert sample.answer() == 42
    names = ("TWINE_PASSWORD", "PYPI_TOKEN", "GITHUB_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    print("seen:", [os.environ.get(name) for name in names])
    print("read:", (Path(__file__).parent / "secret.txt").read_text())
    assert False, Path(__file__).parent.joinpath("secret.txt").read_text()
"""


@pytest.mark.slow
@pytest.mark.parametrize("door", ["releasekit", "invoke"])
def test_the_projects_tests_never_get_or_show_a_token(
    make_repo: Callable[..., GitRepo], door: str
) -> None:
    """Upload and CI tokens stay out of the tests' environment; what they print is scrubbed."""
    repo = make_repo(
        sample_files(**{"tests/test_sample.py": LEAKY_TEST, "tests/secret.txt": CANARY})
    )
    build(repo.path)
    env = dict.fromkeys(
        ("TWINE_PASSWORD", "PYPI_TOKEN", "GITHUB_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"), CANARY
    )
    result = run_cli(repo.path, "test-wheel", door=door, env=env)
    assert result.code == 1, result.err + result.out  # the test fails, showing the file
    assert "seen: [None, None, None, None]" in result.out
    assert "read: ***" in result.out  # the file's copy of the token, hidden on the way out
    assert "CANARY" not in result.out + result.err
