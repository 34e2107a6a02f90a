"""An isolated, cached environment holding a project's fragment tool (towncrier, scriv).

The tool never runs from the developer's environment or from releasekit's own: each pinned
requirement gets its own virtual environment, made with uv when it is present (else the
standard library's venv and pip), kept under the repository's git directory
(``.git/releasekit/tools/<tool>-<key>``) and reused by every later command. The key is the
requirement, the Python version and the installer, so a new pin means a new environment.
An unpinned tool is installed once and reused until that directory is deleted.

An environment is built in a temporary directory and renamed into place only when the
install has finished, so a crash or a concurrent command never sees half an environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.changelog.fragments.tools import FragmentTool
from releasekit.errors import ChangelogError
from releasekit.git import redact

if TYPE_CHECKING:
    from releasekit.build import Installer

_MARKER = "releasekit-tool.json"
_TIMEOUT = 600  # seconds; an install from a slow index, never a hang


@dataclass(frozen=True)
class ToolEnv:
    """A ready environment: its Python, and the tool version installed in it."""

    python: Path
    version: str
    path: Path


def tool_env(tool: FragmentTool, cache: Path, *, installer: Installer | None = None) -> ToolEnv:
    """The cached environment for `tool` under `cache`, made (once) when it is missing."""
    # releasekit.build pulls in build and twine: imported only when a tool is needed.
    from releasekit.build import default_installer  # noqa: PLC0415

    chosen = installer or default_installer()
    key = hashlib.sha256(
        f"{tool.requirement}\n{sys.version_info[0]}.{sys.version_info[1]}\n{chosen}".encode()
    ).hexdigest()[:16]
    target = cache / f"{tool.name}-{key}"
    ready = _ready(target)
    if ready is not None:
        return ready
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{tool.name}-", dir=cache))
    try:
        _build(building, tool, chosen)
        try:
            building.rename(target)
        except OSError:
            # Another command finished the same environment first: use that one.
            shutil.rmtree(building, ignore_errors=True)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    ready = _ready(target)
    if ready is None:
        msg = f"the {tool.name} environment in {str(target)!r} is incomplete; delete it and retry"
        raise ChangelogError(msg)
    return ready


def _ready(path: Path) -> ToolEnv | None:
    try:
        data = json.loads((path / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    python = python_in(path)
    if not isinstance(data, dict) or not python.exists():
        return None
    return ToolEnv(python=python, version=str(data.get("version", "?")), path=path)


def python_in(venv: Path) -> Path:
    """The Python interpreter of the environment at `venv`."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _build(venv: Path, tool: FragmentTool, installer: Installer) -> None:
    from releasekit.build import find_uv  # noqa: PLC0415 - see tool_env

    python = python_in(venv)
    uv = find_uv() if installer == "uv" else None
    if uv is not None:
        _run([uv, "venv", "--quiet", "--allow-existing", "--python", sys.executable, str(venv)])
        _run([uv, "pip", "install", "--quiet", "--python", str(python), tool.requirement])
    else:
        _run([sys.executable, "-m", "venv", str(venv)])
        _run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-input", tool.requirement]
        )  # fmt: skip
    version = _run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({tool.name!r}))"]
    ).strip()
    marker = {"requirement": tool.requirement, "version": version, "installer": installer}
    (venv / _MARKER).write_text(json.dumps(marker), encoding="utf-8")


def clean_environ(**extra: str) -> dict[str, str]:
    """The environment a tool runs in: no PYTHONPATH or virtualenv leaking in, no bytecode."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def _run(command: list[str]) -> str:
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            env=clean_environ(),
            stdin=subprocess.DEVNULL,
            timeout=_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        msg = redact(f"installing the fragment tool failed: {exc}")
        raise ChangelogError(msg) from None
    if result.returncode != 0:
        tail = " ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
        msg = redact(f"installing the fragment tool failed ({Path(command[0]).name}: {tail})")
        raise ChangelogError(msg)
    return result.stdout
