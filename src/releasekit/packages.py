"""The project's import packages, found from its build backend's own configuration.

Each backend says which directories it ships: hatch (``packages``, ``only-include``,
``sources``), setuptools (``packages`` with ``package-dir``, ``packages.find``), poetry
(``packages`` include/from), flit (``module`` name), pdm (``package-dir``), uv_build
(``module-name``/``module-root``). Without any of these, the distribution name's import
name under ``src/`` or the root. Vendored copies are never version places.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from packaging.utils import canonicalize_name

VENDORED: Final = frozenset(
    {
        "_vendor",
        "vendor",
        "_vendored",
        "vendored",
        "third_party",
        "_third_party",
        "extern",
        "_extern",
    }
)


@dataclass(frozen=True)
class Package:
    """An import package directory (or module file) and why it was chosen."""

    path: Path
    reason: str


def import_name(pyproject: dict[str, Any]) -> str:
    """The distribution name as an import name (``poetry-core`` -> ``poetry_core``)."""
    name = pyproject.get("project", {}).get("name") or pyproject.get("tool", {}).get(
        "poetry", {}
    ).get("name", "")
    return canonicalize_name(str(name)).replace("-", "_")


def import_packages(root: Path, pyproject: dict[str, Any]) -> list[Package]:
    """The package directories the backend ships, deepest-named first, never vendored."""
    found: list[Package] = []
    for package in _configured(root, pyproject):
        found.extend(_with_named_subpackage(package, pyproject))
    if not found:
        name = import_name(pyproject)
        for base in ("src", "."):
            candidate = root / base / name
            if name and candidate.is_dir():
                found.append(Package(candidate, f"named after the distribution ({base}/{name})"))
    unique: dict[Path, Package] = {}
    for package in found:
        resolved = package.path.resolve()
        inside = resolved.is_relative_to(root.resolve())
        if inside and not is_vendored(resolved, root) and resolved not in unique:
            unique[resolved] = Package(resolved, package.reason)
    return list(unique.values())


def is_vendored(path: Path, root: Path) -> bool:
    """Whether `path` lies under a vendored directory of the project."""
    parts = path.resolve().relative_to(root.resolve()).parts
    return any(part in VENDORED for part in parts)


def _with_named_subpackage(package: Package, pyproject: dict[str, Any]) -> list[Package]:
    # A namespace include ("poetry" for poetry-core) keeps its version one level down,
    # in the subpackage that the distribution's name spells (poetry/core).
    result = [package]
    words = import_name(pyproject).split("_")
    if len(words) > 1 and package.path.name == words[0]:
        sub = package.path.joinpath(*words[1:])
        if sub.is_dir():
            result.insert(
                0, Package(sub, f"{package.reason}; subpackage named by the distribution")
            )
    return result


def _configured(root: Path, pyproject: dict[str, Any]) -> list[Package]:  # noqa: PLR0911
    tool = pyproject.get("tool", {})
    backend = str(pyproject.get("build-system", {}).get("build-backend", ""))
    if backend.startswith("hatchling") or "hatch" in tool:
        return _hatch(root, tool.get("hatch", {}))
    if backend.startswith("poetry") or "packages" in tool.get("poetry", {}):
        return _poetry(root, tool.get("poetry", {}))
    if backend.startswith("flit"):
        return _flit(root, tool.get("flit", {}), pyproject)
    if backend.startswith("pdm"):
        return _pdm(root, tool.get("pdm", {}), pyproject)
    if backend.startswith("uv_build"):
        return _uv_build(root, tool.get("uv", {}).get("build-backend", {}), pyproject)
    if backend.startswith("setuptools") or "setuptools" in tool:
        return _setuptools(root, tool.get("setuptools", {}))
    return []


def _hatch(root: Path, hatch: dict[str, Any]) -> list[Package]:
    wheel = hatch.get("build", {}).get("targets", {}).get("wheel", {})
    build = hatch.get("build", {})
    found = []
    for key in ("packages", "only-include"):
        for entry in wheel.get(key, build.get(key, [])):
            path = root / str(entry)
            if path.is_dir():
                found.append(Package(path, f"hatch wheel {key} {entry!r}"))
    sources = wheel.get("sources", build.get("sources"))
    if not found and sources:
        for source in sources if isinstance(sources, list) else list(sources):
            base = root / str(source)
            found.extend(Package(d, f"hatch wheel sources {source!r}") for d in _top_packages(base))
    return found


def _poetry(root: Path, poetry: dict[str, Any]) -> list[Package]:
    found = []
    for entry in poetry.get("packages", []):
        if not isinstance(entry, dict) or "include" not in entry:
            continue
        base = root / str(entry.get("from", "."))
        for path in sorted(base.glob(str(entry["include"]))):
            if path.is_dir():
                label = f"poetry packages include {entry['include']!r}"
                if "from" in entry:
                    label += f" from {entry['from']!r}"
                found.append(Package(path, label))
    return found


def _flit(root: Path, flit: dict[str, Any], pyproject: dict[str, Any]) -> list[Package]:
    name = flit.get("module", {}).get("name") or import_name(pyproject)
    parts = str(name).split(".")
    return [
        Package(base.joinpath(*parts), f"flit module {name!r}")
        for base in (root / "src", root)
        if base.joinpath(*parts).is_dir()
    ]


def _pdm(root: Path, pdm: dict[str, Any], pyproject: dict[str, Any]) -> list[Package]:
    base = pdm.get("build", {}).get("package-dir")
    bases = [root / str(base)] if base else [root / "src", root]
    name = import_name(pyproject)
    return [
        Package(b / name, f"pdm package-dir {str(base or 'src or root')!r}")
        for b in bases
        if (b / name).is_dir()
    ]


def _uv_build(root: Path, uv: dict[str, Any], pyproject: dict[str, Any]) -> list[Package]:
    names = uv.get("module-name") or import_name(pyproject)
    module_root = root / str(uv.get("module-root", "src"))
    found = []
    for name in names if isinstance(names, list) else [names]:
        path = module_root.joinpath(*str(name).split("."))
        if path.is_dir():
            found.append(Package(path, f"uv_build module-name {name!r}"))
    return found


def _setuptools(root: Path, setuptools: dict[str, Any]) -> list[Package]:
    package_dir = setuptools.get("package-dir", {})
    packages = setuptools.get("packages")
    if isinstance(packages, list):
        found = []
        for dotted in packages:
            if "." in str(dotted):
                continue  # the top-level package holds the version
            path = root / str(package_dir.get(dotted, Path(package_dir.get("", ".")) / str(dotted)))
            if path.is_dir():
                found.append(Package(path, f"setuptools packages {dotted!r}"))
        return found
    find = packages.get("find", {}) if isinstance(packages, dict) else {}
    where = find.get("where", [package_dir.get("", ".")] if package_dir else ["src", "."])
    include = find.get("include", ["*"])
    exclude = find.get("exclude", [])
    found = []
    for base in where:
        for path in _top_packages(root / str(base)):
            name = path.name
            if any(fnmatch.fnmatch(name, p) for p in include) and not any(
                fnmatch.fnmatch(name, p) for p in exclude
            ):
                found.append(Package(path, f"setuptools packages.find where {base!r}"))
    return found


def _top_packages(base: Path) -> list[Path]:
    if not base.is_dir():
        return []
    return sorted(
        d
        for d in base.iterdir()
        if d.is_dir()
        and (d / "__init__.py").is_file()
        and d.name not in VENDORED
        and d.name not in {"tests", "test", "docs"}
    )
