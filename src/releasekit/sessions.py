"""nox sessions: the ones a noxfile defines, the ones workflows call, and the releasekit pin.

Read with Python's `ast` (a noxfile is never run to learn its sessions: that would need nox
and could run anything) and, for workflows, from their `nox -s NAME ...` command lines.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from typing import Final

NOXFILE: Final = "noxfile.py"
_NOX_LINE: Final = re.compile(r"(?:^|[\s;&|(])nox\s+([^\n#]*)")
_PARAMETRIZED: Final = re.compile(r"-\d+(?:\.\d+)*$|\(.*\)$")


def defined_sessions(source: str) -> set[str] | None:
    """The session names a noxfile defines (None when it is not valid Python).

    A session is a function decorated with `nox.session`/`session` (called or not); its
    name is the decorator's `name=` when given, else the function's.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call is not None else decorator
            if _dotted(target).split(".")[-1] != "session":
                continue
            named = [
                kw.value.value
                for kw in (call.keywords if call is not None else [])
                if kw.arg == "name"
                and isinstance(kw.value, ast.Constant)
                and isinstance(kw.value.value, str)
            ]
            names.add(named[0] if named else node.name)
    return names


def session_spans(source: str, names: set[str]) -> list[tuple[int, int]]:
    """1-based inclusive line spans (decorators included) of the top-level sessions `names`."""
    spans = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            spans.append((first, node.end_lineno or node.lineno))
    return spans


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def called_sessions(workflow: str) -> list[str]:
    """The session names a workflow runs with `nox -s A B ...` (parametrization dropped)."""
    called: list[str] = []
    for found in _NOX_LINE.finditer(workflow):
        try:
            words = shlex.split(found.group(1))
        except ValueError:
            continue
        taking = False
        for word in words:
            if word in ("-s", "--session", "--sessions", "-e"):
                taking = True
            elif word.startswith("-") or word in ("&&", "||", ";", "|"):
                taking = False
            elif taking:
                name = _PARAMETRIZED.sub("", word)
                if name not in called:
                    called.append(name)
    return called


def missing_sessions(root: Path) -> dict[str, list[str]]:
    """Workflow file name -> the sessions it calls that the project's noxfile lacks."""
    noxfile = root / NOXFILE
    text = noxfile.read_text(encoding="utf-8") if noxfile.is_file() else ""
    defined = defined_sessions(text) or set()
    missing: dict[str, list[str]] = {}
    workflows = root / ".github" / "workflows"
    for path in sorted([*workflows.glob("*.yml"), *workflows.glob("*.yaml")]):
        lacking = [
            name
            for name in called_sessions(path.read_text(encoding="utf-8"))
            if name not in defined
        ]
        if lacking:
            missing[path.name] = lacking
    return missing


def pinned_requirement(source: str) -> str | None:
    """The `RELEASEKIT = "..."` requirement a noxfile written by init installs, if any."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "RELEASEKIT" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return None
