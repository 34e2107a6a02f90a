"""A brand-new project adopts releasekit and ships without editing a generated file.

`releasekit init` -> commit -> `nox -s build test_wheel check_tag` -> `nox -s publish_test
-- --repository local`, all real: real nox and its venvs, with the releasekit the generated
noxfile pins served from the embedded local index (this source tree, built as a wheel).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BIN, GitRepo, run_cli
from publish_support import with_real_caches

from releasekit import __version__
from releasekit.localindex import local_index

# A project as `uv init --package` or hatch's template lays it out: no classifiers, no
# dependency groups, one test. Written for this test.
NEW_PROJECT = {
    "pyproject.toml": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "brandnew"\nversion = "0.1.0"\nreadme = "README.md"\n'
        'requires-python = ">=3.11"\n'
    ),
    "src/brandnew/__init__.py": 'def hello() -> str:\n    return "hello"\n',
    "tests/test_brandnew.py": "import brandnew\n\n\ndef test_hello():\n"
    '    assert brandnew.hello() == "hello"\n',
    ".gitignore": "dist/\n.nox/\n",
    "README.md": "# brandnew\n",
}
GENERATED = ("tasks.py", "noxfile.py", ".github/workflows/ci.yml", ".github/workflows/release.yml")


def _nox(repo: GitRepo, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "nox"), *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    return output


@pytest.mark.slow
@pytest.mark.repo_files  # builds releasekit from this source tree
def test_init_commit_build_test_check_publish(
    make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    house = tmp_path / "wheelhouse"
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(house), str(Path(__file__).parents[1])],
        check=True,
        capture_output=True,
        env=with_real_caches(),
    )
    with local_index() as index:
        for wheel in house.glob("*.whl"):
            shutil.copy2(wheel, index.packages / wheel.name)
        repo = make_repo(NEW_PROJECT)
        adopted = run_cli(repo.path, "init", "--requirement", f"releasekit=={__version__}")
        assert adopted.code == 0, adopted
        repo.commit_all("Adopt releasekit")
        repo.git("tag", "-a", "-m", "Release 0.1.0", "v0.1.0")
        generated = {name: (repo.path / name).read_bytes() for name in GENERATED}
        env = {
            **with_real_caches(),
            # The pinned development releasekit is on the local index only.
            "UV_EXTRA_INDEX_URL": index.index_url,
            "PIP_EXTRA_INDEX_URL": index.index_url,
            "TAG": "v0.1.0",
        }
        out = _nox(repo, env, "-s", "build", "test_wheel", "check_tag")
        assert "Session build was successful" in out
        assert "Session test_wheel was successful" in out
        assert "tag v0.1.0 names the project version 0.1.0" in out
        assert sorted(p.name for p in (repo.path / "dist").iterdir()) == [
            "SHA256SUMS",
            "brandnew-0.1.0-py3-none-any.whl",
            "brandnew-0.1.0.tar.gz",
        ]
        published = _nox(repo, env, "-s", "publish_test", "--", "--repository", "local")
        assert "releasekit publish --repository local" in published
        assert "Session publish_test was successful" in published
    # Nothing generated was edited along the way, and nothing is left uncommitted.
    assert {name: (repo.path / name).read_bytes() for name in GENERATED} == generated
    assert repo.git("status", "--porcelain") == ""
