"""Testing the built files: each one installed in a fresh venv, the tests run against it.

The source tree stays out of the import path: the tests run from a copy of ``tests/`` in a
temporary directory, with ``PYTHONSAFEPATH`` set, and a small pytest plugin
(`releasekit.wheeltest_plugin`) records where every module of the package was imported
from; any module from outside the fresh venv fails the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dependency_groups

from releasekit import wheeltest_plugin
from releasekit.build import (
    Installer,
    canonical_version,
    default_installer,
    find_uv,
    inspect_artifact,
    verify_dist,
)
from releasekit.config import read_pyproject
from releasekit.errors import BuildError
from releasekit.redaction import without_credentials

# Files that hold pytest's configuration; copied beside the tests, never the package.
CONFIG_FILES = (
    "pyproject.toml",
    "pytest.ini",
    ".pytest.ini",
    "tox.ini",
    "setup.cfg",
    "conftest.py",
)
_PLUGIN = "_releasekit_wheeltest"
_TAIL = 25


@dataclass(frozen=True)
class WheelTestResult:
    """One artifact tested: where it was installed and where its modules were loaded from."""

    artifact: Path
    venv: Path
    version: str
    modules: dict[str, list[str]]
    import_names: tuple[str, ...]
    output: str

    def locations(self) -> dict[str, str]:
        """Each top-level import name and the file it was imported from."""
        return {name: self.modules[name][0] for name in self.import_names if self.modules[name]}


def run_artifact_tests(
    root: Path,
    dist_dir: Path,
    *,
    python: str | None = None,
    installer: Installer | None = None,
    groups: Sequence[str] = ("test",),
    tests: str = "tests",
    pytest_args: Sequence[str] = (),
    stream: bool = False,
    echo: Callable[[str], None] | None = None,
) -> list[WheelTestResult]:
    """Check `dist_dir` against its ``SHA256SUMS``, then test every file it lists."""
    root = root.resolve()
    artifacts = verify_dist(dist_dir)
    _refuse_stale(root, dist_dir, artifacts)
    requirements = requirements_for(root, groups)
    results = []
    for artifact in artifacts:
        if echo is not None:
            echo(f"testing {artifact.name} in a fresh venv")
        results.append(
            run_artifact_test(
                root,
                artifact,
                python=python,
                installer=installer,
                requirements=requirements,
                tests=tests,
                pytest_args=pytest_args,
                stream=stream,
            )
        )
    return results


def _refuse_stale(root: Path, dist_dir: Path, artifacts: Sequence[Path]) -> None:
    """Refuse files of another version than the project's, as `publish` does."""
    from packaging.utils import parse_sdist_filename, parse_wheel_filename  # noqa: PLC0415

    from releasekit.project import load_project  # noqa: PLC0415

    expected = str(load_project(root).version)
    for artifact in artifacts:
        if artifact.name.endswith(".whl"):
            version = str(parse_wheel_filename(artifact.name)[1])
        elif artifact.name.endswith(".tar.gz"):
            version = str(parse_sdist_filename(artifact.name)[1])
        else:
            continue
        if version != expected:
            msg = (
                f"the files in {str(dist_dir)!r} are version {version!r} but the project is "
                f"{expected!r}: they are stale; rebuild (nox -s build) before testing them"
            )
            raise BuildError(msg)


def requirements_for(root: Path, groups: Sequence[str]) -> list[str]:
    """The requirements of the dependency groups `groups`; plain pytest when there are none."""
    table = read_pyproject(root).get("dependency-groups", {})
    present = [group for group in groups if group in table]
    if not present:
        return ["pytest"]
    try:
        return list(dependency_groups.resolve(table, *present))
    except (ValueError, TypeError, LookupError) as exc:
        msg = (
            f"[dependency-groups] {', '.join(present)} in pyproject.toml cannot be resolved: {exc}"
        )
        raise BuildError(msg) from None


def run_artifact_test(
    root: Path,
    artifact: Path,
    *,
    python: str | None = None,
    installer: Installer | None = None,
    requirements: Sequence[str] = ("pytest",),
    tests: str = "tests",
    pytest_args: Sequence[str] = (),
    stream: bool = False,
) -> WheelTestResult:
    """Install `artifact` in a fresh venv and run `root`'s tests against the installed copy."""
    root = root.resolve()
    source_tests = root / tests
    if not source_tests.is_dir():
        msg = f"{str(source_tests)!r} is not a directory; pass --tests with the test directory"
        raise BuildError(msg)
    built = inspect_artifact(artifact)
    chosen = installer or default_installer()
    with tempfile.TemporaryDirectory(prefix="releasekit-wheeltest-") as tmp:
        work = Path(tmp).resolve()
        if work.is_relative_to(root):
            msg = f"the temporary directory {str(work)!r} lies inside the source tree; set TMPDIR"
            raise BuildError(msg)
        venv = work / "venv"
        make_venv(venv, python=python or sys.executable, installer=chosen)
        install(venv, [str(artifact.resolve()), *requirements], installer=chosen, name=built.name)
        run = _stage_tests(root, source_tests, work / "run")
        report_path = work / "report.json"
        result = _run_pytest(
            venv,
            run=run,
            work=work,
            name=built.name,
            report=report_path,
            pytest_args=pytest_args,
            tests_dir=source_tests.name,
            stream=stream,
        )
        report = _read_report(report_path, artifact, result)
        if result.returncode != 0:
            msg = (
                f"the tests failed against the installed {artifact.name!r} "
                f"(pytest exit {result.returncode}){_tail(result.stdout)}"
            )
            raise BuildError(msg)
        checked = _check_report(report, artifact, venv, root, str(built.version))
        return WheelTestResult(
            artifact=artifact,
            venv=venv,
            version=str(report["version"]),
            modules=checked,
            import_names=tuple(report["import_names"]),
            output=result.stdout or "",
        )


def make_venv(venv: Path, *, python: str, installer: Installer) -> None:
    """Create a fresh venv at `venv` for `python`: ``uv venv``, or the stdlib venv with pip."""
    if installer == "uv":
        command = [_uv(), "venv", "--quiet", "--python", python, str(venv)]
    else:
        command = [python, "-m", "venv", str(venv)]
    _run(command, f"creating a venv with {installer}")


def install(venv: Path, requirements: Sequence[str], *, installer: Installer, name: str) -> None:
    """Install `requirements` (the artifact's path first) into `venv`."""
    python = str(_python(venv))
    if installer == "uv":
        # --refresh-package: never reuse a cached build of an earlier file with the same name.
        command = [_uv(), "pip", "install", "--quiet", "--python", python]
        command += ["--refresh-package", name, *requirements]
    else:
        command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        command += ["--no-input", *requirements]
    _run(command, f"installing {Path(requirements[0]).name!r} with {installer}")


def _stage_tests(root: Path, source_tests: Path, run: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    shutil.copytree(source_tests, run / source_tests.name, ignore=ignore)
    for name in CONFIG_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, run / name)
    return run


def _run_pytest(
    venv: Path,
    *,
    run: Path,
    work: Path,
    name: str,
    report: Path,
    pytest_args: Sequence[str],
    tests_dir: str,
    stream: bool,
) -> subprocess.CompletedProcess[str]:
    plugin_dir = work / "plugin"
    plugin_dir.mkdir()
    shutil.copy2(Path(wheeltest_plugin.__file__), plugin_dir / f"{_PLUGIN}.py")
    # The project's tests upload nothing: they never see an upload or CI token.
    env = {
        key: value
        for key, value in without_credentials(os.environ).items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(
        {
            "PYTHONPATH": str(plugin_dir),
            "PYTHONSAFEPATH": "1",
            "VIRTUAL_ENV": str(venv),
            "PATH": os.pathsep.join([str(_python(venv).parent), env.get("PATH", "")]),
            wheeltest_plugin.DIST_VARIABLE: name,
            wheeltest_plugin.REPORT_VARIABLE: str(report),
        }
    )
    command = [str(_python(venv)), "-P", "-m", "pytest", "-p", _PLUGIN, "-p", "no:cacheprovider"]
    command += ["--rootdir", str(run), tests_dir, *pytest_args]
    if stream:
        return _relayed(command, cwd=run, env=env)
    return subprocess.run(
        command,
        cwd=run,
        env=env,
        check=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _relayed(
    command: list[str], *, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run `command`, passing its output on line by line through releasekit's own stdout.

    Through `sys.stdout`, not the inherited terminal: what the tests print passes the
    secret scrubber like every line releasekit prints (a test may print any variable or
    file it can read).
    """
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as proc:
        assert proc.stdout is not None  # noqa: S101 - stdout=PIPE
        for line in proc.stdout:
            sys.stdout.write(line.decode("utf-8", "replace"))
            sys.stdout.flush()
    return subprocess.CompletedProcess(command, proc.returncode, "", "")


def _read_report(
    path: Path, artifact: Path, result: subprocess.CompletedProcess[str]
) -> dict[str, Any]:
    try:
        report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        msg = (
            f"the test run against {artifact.name!r} did not report where the package was "
            f"imported from (pytest exit {result.returncode}){_tail(result.stdout)}"
        )
        raise BuildError(msg) from None
    return report


def _check_report(
    report: dict[str, Any], artifact: Path, venv: Path, root: Path, version: str
) -> dict[str, list[str]]:
    if canonical_version(str(report.get("version"))) != version:
        msg = (
            f"the venv for {artifact.name!r} holds version {report.get('version')!r}, "
            f"not {version!r}; the installer picked another copy"
        )
        raise BuildError(msg)
    modules: dict[str, list[str]] = report.get("modules", {})
    if not report.get("import_names"):
        msg = f"the installed {artifact.name!r} provides no importable module to test"
        raise BuildError(msg)
    venv_root = venv.resolve()
    for module, files in sorted(modules.items()):
        for file in files:
            where = Path(file)
            if not where.is_relative_to(venv_root) or where.is_relative_to(root):
                msg = (
                    f"the tests imported {module!r} from {file!r}, not from the venv the "
                    f"artifact {artifact.name!r} was installed in; keep the source tree off "
                    f"sys.path (PYTHONPATH, .pth files, pytest 'pythonpath')"
                )
                raise BuildError(msg)
    return modules


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _uv() -> str:
    found = find_uv()
    if found is None:
        msg = "uv is not on PATH; install uv, or pass --installer pip"
        raise BuildError(msg)
    return found


def _run(command: Sequence[str], what: str) -> None:
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, env=_without_python_path()
    )
    if result.returncode != 0:
        msg = f"{what} failed (exit {result.returncode}){_tail(result.stdout + result.stderr)}"
        raise BuildError(msg)


def _without_python_path() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def _tail(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()][-_TAIL:]
    return "".join(f"\n    {line}" for line in lines)


__all__ = [
    "WheelTestResult",
    "install",
    "make_venv",
    "requirements_for",
    "run_artifact_test",
    "run_artifact_tests",
]
