"""A pytest plugin that `releasekit test-wheel` loads: it records where the package came from.

It is copied next to the test run (outside the source tree) and must run on any Python
the tested project supports, using only the standard library and pytest's hooks.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import sys
from pathlib import PurePosixPath
from typing import Any

DIST_VARIABLE = "RELEASEKIT_WHEELTEST_DIST"
REPORT_VARIABLE = "RELEASEKIT_WHEELTEST_REPORT"
_SKIPPED_SUFFIXES = (".dist-info", ".data", ".pth")


def import_names(files: list[PurePosixPath]) -> list[str]:
    """The top-level import names that a distribution's installed files provide."""
    names: set[str] = set()
    for path in files:
        top = path.parts[0] if path.parts else ""
        if not top or top in ("..", "__pycache__") or top.endswith(_SKIPPED_SUFFIXES):
            continue
        if len(path.parts) > 1:
            names.add(top)
        elif top.endswith(".py"):
            names.add(top[: -len(".py")])
        elif top.endswith((".so", ".pyd")):
            names.add(top.split(".")[0])
    return sorted(names)


def _where(module: Any) -> list[str]:  # noqa: ANN401 - any module
    file = getattr(module, "__file__", None)
    if file:
        return [os.path.realpath(file)]
    return [os.path.realpath(entry) for entry in getattr(module, "__path__", [])]


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:  # noqa: ANN401
    """Record the installed distribution and the file of every module of it that was loaded."""
    dist = importlib.metadata.distribution(os.environ[DIST_VARIABLE])
    names = import_names([PurePosixPath(str(f)) for f in dist.files or []])
    modules: dict[str, list[str]] = {}
    for name in names:
        importlib.import_module(name)  # a no-op when the tests imported it already
    for key, module in sorted(sys.modules.items()):
        if key.split(".")[0] in names and module is not None:
            modules[key] = _where(module)
    report = {
        "name": dist.metadata["Name"],
        "version": dist.version,
        "location": os.path.realpath(str(dist.locate_file(""))),
        "import_names": names,
        "modules": modules,
    }
    with open(os.environ[REPORT_VARIABLE], "w", encoding="utf-8") as stream:  # noqa: PTH123
        json.dump(report, stream, indent=1)


def pytest_terminal_summary(terminalreporter: Any) -> None:  # noqa: ANN401
    """Say which installed files the tests ran against."""
    path = os.environ.get(REPORT_VARIABLE, "")
    if not os.path.exists(path):  # noqa: PTH110
        return
    with open(path, encoding="utf-8") as stream:  # noqa: PTH123
        report = json.load(stream)
    for name in report["import_names"]:
        where = report["modules"].get(name, ["?"])
        terminalreporter.write_line(
            f"releasekit: tested {report['name']} {report['version']}: "
            f"{name} imported from {where[0] if where else '?'}"
        )
