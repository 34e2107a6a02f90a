"""Adoption end to end: real-world layouts, each built by its real backend from PyPI.

For every layout: `init`, commit, `doctor`, `release patch` to a local bare remote, `build`
and `test-wheel`; the built files' names and metadata must carry the new version.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import GitRepo, git, init_repo, run_cli, snapshot

from releasekit.tasks import ns

NEEDED = ("init", "release", "build", "test-wheel", "doctor")
MISSING = [name for name in NEEDED if name not in ns.task_names]
if importlib.util.find_spec("releasekit.changelog") is None:
    MISSING.append("releasekit.changelog")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}"),
]

# Read before the autouse fixture moves HOME: every build shares one uv cache.
UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")
ENV = {"UV_CACHE_DIR": UV_CACHE}
OLD, NEW = "1.2.0", "1.2.1"
TEST_FILE = (
    "from importlib.metadata import version\n\nimport sample_pkg\n\n\n"
    "def test_installed_version() -> None:\n"
    f'    assert version("sample-pkg") == "{NEW}"\n'
    "    assert sample_pkg.answer() == 42\n"
)
ANSWER = "\n\ndef answer() -> int:\n    return 42\n"
PROJECT = (
    'name = "sample-pkg"\ndescription = "A sample."\nreadme = "README.md"\n'
    'requires-python = ">=3.11"\n'
)

# What the generated files install: this source tree (a path), which doctor need not
# look up on an index (this development releasekit is on none).
SOURCE = str(Path(__file__).resolve().parents[1])


def backend(requires: str, api: str) -> str:
    return f'[build-system]\nrequires = ["{requires}"]\nbuild-backend = "{api}"\n\n'


@dataclass(frozen=True)
class Layout:
    """One real-world project shape and what init should find in it."""

    files: dict[str, str]
    branch: str = "main"
    tags: tuple[str, ...] = ("v1.2.0",)
    init_args: tuple[str, ...] = ()
    settings: str = ""  # the [tool.releasekit] table init writes besides tag-prefix
    tag_off_branch: bool = False
    shallow: bool = False
    uv_lock: bool = False
    also_bumped: tuple[str, ...] = field(default=())


LAYOUTS = {
    "setuptools-attr-version-py": Layout(
        files={
            "pyproject.toml": backend("setuptools>=69", "setuptools.build_meta")
            + f'[project]\n{PROJECT}dynamic = ["version"]\n\n'
            '[tool.setuptools.dynamic]\nversion = {attr = "sample_pkg.version.__version__"}\n',
            "src/sample_pkg/__init__.py": "from sample_pkg.version import __version__" + ANSWER,
            "src/sample_pkg/version.py": f'__version__ = "{OLD}"\n',
            "CHANGELOG.md": "# Changelog\n\n## Unreleased\n\n## 1.2.0 - 2025-06-01\n\n- Two.\n\n"
            "## 1.1.0 - 2025-01-01\n\n- One.\n",
        },
        tags=("v1.1.0", "v1.2.0"),
    ),
    "setuptools-attr-init-bare-tags-master": Layout(
        files={
            "pyproject.toml": backend("setuptools>=69", "setuptools.build_meta")
            + f'[project]\n{PROJECT}dynamic = ["version"]\n\n'
            '[tool.setuptools.dynamic]\nversion = {attr = "sample_pkg.__version__"}\n',
            "src/sample_pkg/__init__.py": f'__version__ = "{OLD}"' + ANSWER,
            "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] (2025-06-01)\n\n- x\n",
        },
        branch="master",
        tags=("1.2.0",),
        settings='tag-prefix = ""\nbranch = "master"\n',
    ),
    "hatch-path-develop-no-unreleased": Layout(
        files={
            "pyproject.toml": backend("hatchling", "hatchling.build")
            + f'[project]\n{PROJECT}dynamic = ["version"]\n\n'
            '[tool.hatch.version]\npath = "src/sample_pkg/__about__.py"\n',
            "src/sample_pkg/__init__.py": "from sample_pkg.__about__ import __version__" + ANSWER,
            "src/sample_pkg/__about__.py": f'# SPDX\n__version__ = "{OLD}"\n',
            "CHANGELOG.md": "# Changelog\n\n## [v1.2.0] - 2025-06-01\n\n### Added\n\n- x\n",
        },
        branch="develop",
        init_args=("--add-unreleased",),
        settings='branch = "develop"\n',
    ),
    "flit-shallow-clone-undated": Layout(
        files={
            "pyproject.toml": backend("flit_core>=3.4,<4", "flit_core.buildapi")
            + f"[project]\n{PROJECT.replace('description', '# description')}"
            'dynamic = ["version", "description"]\n',
            "src/sample_pkg/__init__.py": f'"""A sample."""\n\n__version__ = "{OLD}"' + ANSWER,
            "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [1.2.0]\n\n- x\n",
        },
        shallow=True,
    ),
    "pdm-static-trailing-comment": Layout(
        files={
            "pyproject.toml": backend("pdm-backend", "pdm.backend")
            + f'[project]\n{PROJECT}version = "{OLD}"  # bumped by releasekit\n',
            "src/sample_pkg/__init__.py": ANSWER.lstrip(),
            "CHANGELOG.md": "# Changelog\n\n## [unreleased]\n\n## [1.2.0] - June 1, 2025\n\n- x\n",
        },
    ),
    "poetry-core-tag-off-branch": Layout(
        files={
            "pyproject.toml": backend("poetry-core>=1.9", "poetry.core.masonry.api")
            + f'[tool.poetry]\nname = "sample-pkg"\nversion = "{OLD}"\n'
            'description = "A sample."\nauthors = ["Sample <sample@example.invalid>"]\n'
            'readme = "README.md"\n'
            'packages = [{ include = "sample_pkg", from = "src" }]\n\n'
            '[tool.poetry.dependencies]\npython = ">=3.11"\n',
            "src/sample_pkg/__init__.py": f'__version__ = "{OLD}"' + ANSWER,
            "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2025-06-01\n\n- x\n",
        },
        tag_off_branch=True,
    ),
    "hatch-monorepo-uv-lock": Layout(
        files={
            "pyproject.toml": backend("hatchling", "hatchling.build")
            + f'[project]\n{PROJECT}version = "{OLD}"\n\n'
            '[tool.uv.workspace]\nmembers = ["plugins/*"]\n',
            "src/sample_pkg/__init__.py": ANSWER.lstrip(),
            "plugins/extra/pyproject.toml": backend("hatchling", "hatchling.build")
            + f'[project]\nname = "sample-extra"\nversion = "{OLD}"\n',
            "plugins/extra/src/sample_extra/__init__.py": "",
            "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2025-06-01\n\n- x\n",
        },
        uv_lock=True,
        settings='version-files = ["plugins/extra/pyproject.toml"]\n',
        also_bumped=("plugins/extra/pyproject.toml", "uv.lock"),
    ),
}


def make_project(tmp_path: Path, layout: Layout) -> GitRepo:
    files = {**layout.files, "README.md": "# sample-pkg\n", "tests/test_installed.py": TEST_FILE}
    repo = init_repo(tmp_path / "project", files, branch=layout.branch)
    if layout.uv_lock:
        uv = shutil.which("uv")
        assert uv is not None
        subprocess.run(
            [uv, "lock", "--quiet"], cwd=repo.path, env={**os.environ, **ENV}, check=True
        )
        repo.commit_all("lock")
    if layout.tag_off_branch:
        repo.git("switch", "-q", "-c", "release-1.2")
        repo.git("commit", "-q", "--allow-empty", "-m", "release 1.2.0 from a release branch")
    for tag in layout.tags:
        repo.git("tag", tag)
    if layout.tag_off_branch:
        repo.git("switch", "-q", layout.branch)
    repo.git("push", "-q", "origin", layout.branch, "--tags")
    if not layout.shallow:
        return repo
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.remote}", str(clone))
    for key, value in (("user.name", "Release Tester"), ("user.email", "t@example.invalid")):
        git(clone, "config", key, value)
    before = snapshot(clone)
    refused = run_cli(clone, "init", "--requirement", SOURCE)
    assert refused.code == 1
    assert "shallow clone" in refused.err
    assert "git fetch --unshallow --tags" in refused.err
    assert snapshot(clone) == before
    git(clone, "fetch", "-q", "--unshallow", "--tags")
    return GitRepo(path=clone, remote=repo.remote)


def add_entry(changelog: Path) -> None:
    text = changelog.read_text()
    heading = re.search(r"^#+ *\[?unreleased\]?.*$", text, re.IGNORECASE | re.MULTILINE)
    assert heading is not None, text
    entry = "\n\n### Fixed\n\n- Fixed a bug."
    changelog.write_text(text[: heading.end()] + entry + text[heading.end() :])


def built_version(path: Path) -> str:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            text = archive.read(name).decode()
    else:
        with tarfile.open(path) as archive:
            member = next(
                m
                for m in archive.getmembers()
                if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
            )
            stream = archive.extractfile(member)
            assert stream is not None
            text = stream.read().decode()
    found = re.search(r"^Version: (.+)$", text, re.MULTILINE)
    assert found is not None
    return found.group(1).strip()


@pytest.mark.parametrize("name", LAYOUTS)
def test_adopt_release_build_and_test(name: str, tmp_path: Path) -> None:
    layout = LAYOUTS[name]
    repo = make_project(tmp_path, layout)
    pyproject_before = (repo.path / "pyproject.toml").read_text()

    adopted = run_cli(repo.path, "init", "--requirement", SOURCE, *layout.init_args)
    assert adopted.code == 0, adopted
    pyproject = (repo.path / "pyproject.toml").read_text()
    # init always writes the tag prefix down (inferred, or "v" without tags).
    settings = layout.settings
    if "tag-prefix" not in settings:
        settings = 'tag-prefix = "v"\n' + settings
    assert pyproject == pyproject_before + "\n[tool.releasekit]\n" + settings
    if layout.tag_off_branch:
        assert "the latest release tag 'v1.2.0' is not on 'main'" in adopted.out

    add_entry(repo.path / "CHANGELOG.md")  # what the user writes before releasing
    repo.commit_all("Adopt releasekit")
    repo.git("push", "-q", "origin", layout.branch)

    doctor = run_cli(repo.path, "doctor", env=ENV)
    assert doctor.code == 0, doctor
    dry = run_cli(repo.path, "release", "patch", "--dry-run")
    assert dry.code == 0, dry
    released = run_cli(repo.path, "release", "patch", "--date", "2026-02-01")
    assert released.code == 0, released

    prefix = "" if layout.tags == ("1.2.0",) else "v"
    tag = f"refs/tags/{prefix}{NEW}"
    remote_refs = git(repo.remote, "for-each-ref", "--format=%(refname)")
    assert tag in remote_refs.splitlines()
    assert git(repo.remote, "rev-parse", layout.branch) == repo.git("rev-parse", "HEAD")
    assert run_cli(repo.path, "version").out == f"{NEW}\n"
    changelog = (repo.path / "CHANGELOG.md").read_text()
    assert NEW in changelog
    assert changelog.index(NEW) < changelog.index("- Fixed a bug.")
    for other in layout.also_bumped:
        assert f'version = "{NEW}"' in (repo.path / other).read_text()
    if layout.uv_lock:
        uv = shutil.which("uv")
        assert uv is not None
        check = [uv, "lock", "--check", "--quiet"]
        subprocess.run(check, cwd=repo.path, env={**os.environ, **ENV}, check=True)

    built = run_cli(repo.path, "build", env=ENV)
    assert built.code == 0, built
    dist = repo.path / "dist"
    files = sorted(p.name for p in dist.iterdir() if p.name != "SHA256SUMS")
    assert files == [f"sample_pkg-{NEW}-py3-none-any.whl", f"sample_pkg-{NEW}.tar.gz"]
    for artifact in files:
        assert built_version(dist / artifact) == NEW

    tested = run_cli(repo.path, "test-wheel", env=ENV)
    assert tested.code == 0, tested
    assert tested.out.count("passed sample_pkg-1.2.1") == 2
