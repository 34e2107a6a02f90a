"""nox sessions: thin orchestration over the releasekit package (release logic lives there)."""

from __future__ import annotations

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"

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
    """Check style and types: ruff and mypy --strict over src, tests, noxfile and tasks."""
    session.install(
        "-e",
        ".",
        *nox.project.dependency_groups(PYPROJECT, "lint"),
        *nox.project.dependency_groups(PYPROJECT, "test"),
    )
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python=PYTHONS[0])
def demo(session: nox.Session) -> None:
    """Show releasekit at work on a sample project made in a temporary directory."""
    session.install(".")
    session.run("python", "-m", "releasekit.demo", *session.posargs)
