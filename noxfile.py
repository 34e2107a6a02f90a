"""nox sessions: thin orchestration over the releasekit package (release logic lives there)."""

from __future__ import annotations

import os
from pathlib import Path

import nox
from packaging.version import Version

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"
# A session whose interpreter is missing fails the run: never exit 0 having run nothing.
nox.options.error_on_missing_interpreters = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = nox.project.python_versions(PYPROJECT)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest, two workers by default)."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "test"))
    args = session.posargs or ["-n", "auto"]
    session.run("pytest", *args)


@nox.session(python=PYTHONS[0])
def lint(session: nox.Session) -> None:
    """Check style and types (ruff, mypy --strict) and the workflows (zizmor, schema)."""
    session.install(
        "-e",
        ".",
        *nox.project.dependency_groups(PYPROJECT, "lint"),
        *nox.project.dependency_groups(PYPROJECT, "test"),
    )
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # Types on every platform releasekit runs on (code behind `sys.platform` checks is
    # unreachable by design on some of them, hence no unreachable warnings off Linux).
    session.run("mypy", "--platform", "linux")
    session.run("mypy", "--platform", "darwin", "--no-warn-unreachable")
    session.run("mypy", "--platform", "win32", "--no-warn-unreachable")
    # The GitHub Actions workflows: security lint and GitHub's schema, both offline.
    session.run("zizmor", "--offline", "--persona", "pedantic", ".github/workflows/")
    session.run(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        ".github/workflows/ci.yml",
        ".github/workflows/release.yml",
    )


@nox.session(python=PYTHONS[0])
def build(session: nox.Session) -> None:
    """Build the sdist and wheel once into dist/, check them, write dist/SHA256SUMS."""
    session.install(".")
    session.run("releasekit", "build", *session.posargs)


@nox.session(python=PYTHONS)
def test_wheel(session: nox.Session) -> None:
    """Test each file in dist/ installed in a fresh venv, the source tree off the path."""
    session.install(".")
    # The installed files carry no workflows or CHANGELOG.md: skip the tests that read them.
    args = session.posargs or ["--pytest-args", "-n auto -m 'not repo_files'"]
    session.run("releasekit", "test-wheel", *args)


@nox.session(python=PYTHONS[0])
def check_tag(session: nox.Session) -> None:
    """Fail unless a release tag ($TAG, or the first argument) names the project's version."""
    tag = session.posargs[0] if session.posargs else os.environ.get("TAG", "")
    if not tag:
        session.error("no tag given: run 'nox -s check_tag -- v1.2.0' or set TAG")
    session.install(".")
    version = str(session.run("releasekit", "check-tag", tag, silent=True)).strip()
    session.log(f"tag {tag} names the project version {version}")
    # In GitHub Actions, hand the version to the jobs that publish and announce it.
    if output := os.environ.get("GITHUB_OUTPUT"):
        prerelease = str(Version(version).is_prerelease).lower()
        with Path(output).open("a", encoding="utf-8") as stream:
            stream.write(f"version={version}\nprerelease={prerelease}\n")


@nox.session(python=PYTHONS[0])
def demo(session: nox.Session) -> None:
    """Release, build, test and publish a sample project to an embedded local index."""
    # The embedded local index (pypiserver) is a demo/test tool, not a runtime dependency.
    index = [r for r in nox.project.dependency_groups(PYPROJECT, "test") if "pypiserver" in r]
    session.install(".", *index)
    session.run("python", "-m", "releasekit.demo", *session.posargs)


@nox.session(python=PYTHONS[0])
def publish_test(session: nox.Session) -> None:
    """Upload the checked files in dist/ to TestPyPI, then install them back and import."""
    session.install(".")
    session.run("releasekit", "publish", "--repository", "testpypi", *session.posargs)


@nox.session(python=PYTHONS[0])
def publish(session: nox.Session) -> None:
    """Upload dist/ to PyPI: only at the release tag, clean tree; then install back."""
    session.install(".")
    session.run("releasekit", "publish", "--repository", "pypi", *session.posargs)
