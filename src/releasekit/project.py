"""Where a project's version lives, reading it, and writing a new one everywhere.

Places are discovered without configuration (see the README's "Where versions live"):
the static ``[project] version``, ``[tool.poetry] version``, the file a dynamic version is
read from (hatch ``path``, setuptools ``attr:``/``file:``, flit, pdm), any
``__version__ = "..."`` literal in the package's ``__init__.py``, ``version.py``,
``_version.py``, ``__version__.py`` or ``__about__.py``, the extra files named by
``[tool.releasekit] version-files``, and the project's own entries in ``uv.lock``.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomlkit
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from tomlkit.items import String, StringType

from releasekit.config import PYPROJECT, Config, load_config, read_pyproject
from releasekit.errors import VersionPlaceError
from releasekit.files import FileEdit, decode, display_path, read_bytes

Kind = Literal["toml", "python", "text", "lock"]
UV_LOCK = "uv.lock"
VERSION_MODULES = ("__init__.py", "version.py", "_version.py", "__version__.py", "__about__.py")
_PY_NAMES = ("__version__", "VERSION")


@dataclass(frozen=True)
class VersionPlace:
    """One place that holds the version: a TOML key, a Python literal or a whole file."""

    path: Path
    kind: Kind
    name: str  # the TOML key path, the Python variable, or "file"
    value: str
    line: int

    def label(self, root: Path) -> str:
        """Where this place is, for people: ``path:line (name)``."""
        return f"{display_path(self.path, root)}:{self.line} ({self.name})"


@dataclass(frozen=True)
class Project:
    """A project on disk: its root, settings, metadata and version places."""

    root: Path
    config: Config
    pyproject: dict[str, Any] = field(repr=False)
    places: tuple[VersionPlace, ...]

    @property
    def name(self) -> str:
        """The distribution name (from `[project] name` or `[tool.poetry] name`)."""
        name = self.pyproject.get("project", {}).get("name") or self.pyproject.get("tool", {}).get(
            "poetry", {}
        ).get("name")
        if not isinstance(name, str):
            msg = f"{PYPROJECT} has no [project] name; releasekit needs the distribution name"
            raise VersionPlaceError(msg)
        return name

    @property
    def version(self) -> Version:
        """The current version, after checking that every place agrees."""
        return agreed_version(self.places, self.root)


def load_project(root: Path) -> Project:
    """Read the project at `root` and find every place that holds its version."""
    pyproject = read_pyproject(root)
    config = load_config(root, pyproject)
    places = tuple(find_places(root, pyproject, config))
    return Project(root=root, config=config, pyproject=pyproject, places=places)


def find_places(root: Path, pyproject: dict[str, Any], config: Config) -> list[VersionPlace]:
    """Return every place that holds the version, each exactly once."""
    places: list[VersionPlace] = []
    pyproject_path = root / PYPROJECT
    project = pyproject.get("project", {})
    dynamic = "version" in project.get("dynamic", [])
    if "version" in project:
        places.append(_toml_place(pyproject_path, ("project", "version")))
    poetry = pyproject.get("tool", {}).get("poetry", {})
    if "version" in poetry and not dynamic:
        places.append(_toml_place(pyproject_path, ("tool", "poetry", "version")))
    if dynamic:
        places.extend(_dynamic_places(root, pyproject))
    if not places:
        msg = (
            f"{PYPROJECT} has neither a [project] version nor a dynamic version source; "
            f"add 'version = \"0.1.0\"' under [project]"
        )
        raise VersionPlaceError(msg)
    known = {place.path for place in places}
    for module in _duplicate_candidates(root, pyproject):
        if module not in known:
            places.extend(_python_places(module, required=False))
            known.add(module)
    for extra in config.version_files:
        places.extend(_extra_places(root, extra))
    if (root / UV_LOCK).is_file():
        places.extend(_uv_lock_places(root, places))
    return places


def agreed_version(places: Sequence[VersionPlace], root: Path) -> Version:
    """Return the version all `places` hold, or fail listing each place and its value."""
    versions: list[Version | None] = []
    for place in places:
        try:
            versions.append(Version(place.value))
        except InvalidVersion:
            versions.append(None)
    canonical = {str(v) if v is not None else None for v in versions}
    if len(canonical) == 1 and None not in canonical:
        version = versions[0]
        assert version is not None  # noqa: S101 - checked just above
        return version
    listing = "; ".join(f"{place.label(root)} = {place.value!r}" for place in places)
    if None in canonical:
        msg = f"a version place does not hold a valid PEP 440 version: {listing}"
    else:
        msg = f"the version places disagree: {listing}; make them equal, then run again"
    raise VersionPlaceError(msg)


def version_edits(places: Sequence[VersionPlace], new: Version) -> list[FileEdit]:
    """Plan the file edits that write `new` (canonical) into every place."""
    by_file: dict[Path, list[VersionPlace]] = {}
    for place in places:
        by_file.setdefault(place.path, []).append(place)
    edits: list[FileEdit] = []
    for path, group in by_file.items():
        before = read_bytes(path)
        text = decode(path, before)
        for place in sorted(group, key=lambda p: p.line, reverse=True):
            text = _rewrite(place, text, str(new))
        edits.append(FileEdit(path=path, before=before, after=text.encode("utf-8")))
    return edits


def _rewrite(place: VersionPlace, text: str, new: str) -> str:
    if place.kind == "toml":
        return _rewrite_toml(place, text, new)
    if place.kind == "python":
        return _rewrite_python(place, text, new)
    if place.kind == "lock":
        return _rewrite_uv_lock(place, text, new)
    stripped = text.strip()
    start = text.index(stripped)
    return text[:start] + new + text[start + len(stripped) :]


# --- TOML -------------------------------------------------------------------------------


def _parse_toml(path: Path, text: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        msg = f"{str(path)!r} is not valid TOML ({exc}); fix the file and run again"
        raise VersionPlaceError(msg) from None


def _toml_place(path: Path, key: tuple[str, ...]) -> VersionPlace:
    text = decode(path, read_bytes(path))
    item = _toml_item(_parse_toml(path, text), key, path)
    return VersionPlace(
        path=path, kind="toml", name=".".join(key), value=str(item), line=_toml_line(text, key)
    )


def _toml_item(doc: Any, key: tuple[str, ...], path: Path) -> String:  # noqa: ANN401
    node = doc
    for part in key:
        node = node[part]
    if not isinstance(node, String):
        msg = f"{str(path)!r}: {'.'.join(key)} must be a string, got {node!r}"
        raise VersionPlaceError(msg)
    return node


def _toml_line(text: str, key: tuple[str, ...]) -> int:
    # Only for messages: the first line in the key's table that assigns the last key part.
    table = "[" + ".".join(key[:-1]) + "]"
    in_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.split("#")[0].strip() == table
        elif in_table and stripped.split("=")[0].strip() == key[-1]:
            return number
    return 0


def _rewrite_toml(place: VersionPlace, text: str, new: str) -> str:
    doc = tomlkit.parse(text)
    key = tuple(place.name.split("."))
    old = _toml_item(doc, key, place.path)
    literal = old.type in (StringType.SLL, StringType.MLL)
    replacement = tomlkit.string(new, literal=literal)
    parent: Any = doc
    for part in key[:-1]:
        parent = parent[part]
    parent[key[-1]] = replacement
    return tomlkit.dumps(doc)


# --- Python -----------------------------------------------------------------------------


def _python_places(
    path: Path, *, required: bool, names: Sequence[str] = _PY_NAMES
) -> list[VersionPlace]:
    text = decode(path, read_bytes(path))
    found = [(name, node) for name, node in _module_assignments(path, text) if name in names]
    if not found:
        if required:
            msg = f'{str(path)!r} has no {" or ".join(names)} = "X.Y.Z" string literal'
            raise VersionPlaceError(msg)
        return []
    by_name: dict[str, list[ast.Constant]] = {}
    for name, node in found:
        by_name.setdefault(name, []).append(node)
    places = []
    for name, nodes in by_name.items():
        if len(nodes) > 1:
            lines = ", ".join(str(node.lineno) for node in nodes)
            msg = f"{str(path)!r} assigns {name} {len(nodes)} times (lines {lines}); keep one"
            raise VersionPlaceError(msg)
        node = nodes[0]
        _literal_span(path, text, node)  # fails early on a literal we could not rewrite
        places.append(
            VersionPlace(
                path=path, kind="python", name=name, value=str(node.value), line=node.lineno
            )
        )
    if len(places) > 1:
        # Hatch reads __version__ or VERSION; a file with both is ambiguous.
        msg = f"{str(path)!r} assigns both __version__ and VERSION; keep one"
        raise VersionPlaceError(msg)
    return places


def _module_assignments(path: Path, text: str) -> Iterator[tuple[str, ast.Constant]]:
    try:
        tree = ast.parse(text.removeprefix("\ufeff"), filename=str(path))
    except SyntaxError as exc:
        msg = f"{str(path)!r} is not valid Python (line {exc.lineno}); fix it first"
        raise VersionPlaceError(msg) from None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            yield target.id, value


def _literal_span(path: Path, text: str, node: ast.Constant) -> tuple[int, int]:
    """Return the span of the literal's contents (inside the quotes) in `text`."""
    bom = 1 if text.startswith("\ufeff") else 0
    # ast counts lines as Python does (\n, \r\n, \r), and columns in UTF-8 bytes.
    lines = io.StringIO(text[bom:], newline="").readlines()
    if node.end_lineno != node.lineno or node.end_col_offset is None:
        msg = f"{str(path)!r}:{node.lineno}: the version literal spans lines; write it on one"
        raise VersionPlaceError(msg)
    line = lines[node.lineno - 1]
    raw = line.encode("utf-8")  # ast offsets count UTF-8 bytes
    segment = raw[node.col_offset : node.end_col_offset].decode("utf-8")
    quote = segment[-1:]
    body = segment.lstrip("rRuU")
    simple = (
        quote in ("'", '"')
        and body[:1] == quote
        and body[1:-1] == node.value
        and not body.startswith(quote * 3)
    )
    if not simple:
        msg = f"{str(path)!r}:{node.lineno}: the version must be a plain string literal"
        raise VersionPlaceError(msg)
    start_in_line = len(raw[: node.col_offset].decode("utf-8")) + (len(segment) - len(body)) + 1
    offset = sum(len(previous) for previous in lines[: node.lineno - 1])
    start = bom + offset + start_in_line
    return start, start + len(str(node.value))


def _rewrite_python(place: VersionPlace, text: str, new: str) -> str:
    for name, node in _module_assignments(place.path, text):
        if name == place.name:
            start, end = _literal_span(place.path, text, node)
            return text[:start] + new + text[end:]
    msg = f"{str(place.path)!r} no longer assigns {place.name}"
    raise VersionPlaceError(msg)


# --- uv.lock ------------------------------------------------------------------------------
# uv records a project's own static version in its [[package]] entry (source editable or
# virtual "." or a workspace member's path); after a bump `uv lock --locked` fails until that
# entry follows. Only that one string changes, so releasekit edits it (tomlkit, layout kept)
# instead of re-locking, which would need uv and could move other pins. Dynamic versions are
# not recorded by uv, and then there is nothing to edit.


def _uv_lock_places(root: Path, places: Sequence[VersionPlace]) -> list[VersionPlace]:
    path = root / UV_LOCK
    text = decode(path, read_bytes(path))
    try:
        packages = tomlkit.parse(text).unwrap().get("package", [])
    except tomlkit.exceptions.ParseError as exc:
        msg = f"{str(path)!r} is not valid TOML ({exc}); run 'uv lock' to rewrite it"
        raise VersionPlaceError(msg) from None
    ours = {p.path.parent.resolve() for p in places if p.path.name == PYPROJECT}
    found = []
    for package in packages if isinstance(packages, list) else []:
        source = package.get("source", {}) if isinstance(package, dict) else {}
        local = source.get("editable") or source.get("virtual")
        if not isinstance(local, str) or (root / local).resolve() not in ours:
            continue
        if isinstance(package.get("version"), str) and isinstance(package.get("name"), str):
            name = package["name"]
            found.append(
                VersionPlace(
                    path=path,
                    kind="lock",
                    name=f"package[{name}].version",
                    value=package["version"],
                    line=_uv_lock_line(text, name),
                )
            )
    return found


def _uv_lock_line(text: str, name: str) -> int:
    # Only for messages: the `version =` line after the entry's `name = "..."` line.
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if line.replace(" ", "") == f'name="{name}"':
            for offset, following in enumerate(lines[number:], start=number + 1):
                if following.startswith("version"):
                    return offset
                if following.startswith("["):
                    break
    return 0


def _rewrite_uv_lock(place: VersionPlace, text: str, new: str) -> str:
    doc = tomlkit.parse(text)
    name = place.name.removeprefix("package[").removesuffix("].version")
    for package in doc.get("package", []):
        if package.get("name") == name and "version" in package:
            package["version"] = new
            return tomlkit.dumps(doc)
    msg = f"{str(place.path)!r} no longer has a [[package]] entry named {name!r}"
    raise VersionPlaceError(msg)


# --- dynamic versions and their files ----------------------------------------------------


def _dynamic_places(root: Path, pyproject: dict[str, Any]) -> list[VersionPlace]:
    tool = pyproject.get("tool", {})
    backend = pyproject.get("build-system", {}).get("build-backend", "")
    if "version" in tool.get("hatch", {}):
        hatch = tool["hatch"]["version"]
        if "path" in hatch and hatch.get("source", "regex") == "regex":
            return _python_places(
                _existing(root, hatch["path"], "[tool.hatch.version] path"), required=True
            )
        msg = (
            f"[tool.hatch.version] source {hatch.get('source')!r} is not a file releasekit "
            "can write; use 'path = \"src/pkg/__about__.py\"' or a static version"
        )
        raise VersionPlaceError(msg)
    setuptools_version = tool.get("setuptools", {}).get("dynamic", {}).get("version")
    if isinstance(setuptools_version, dict):
        return _setuptools_places(root, pyproject, setuptools_version)
    pdm = tool.get("pdm", {}).get("version", {})
    if pdm.get("source") == "file" and "path" in pdm:
        return _python_places(
            _existing(root, pdm["path"], "[tool.pdm.version] path"), required=True
        )
    if backend.startswith("flit_core"):
        module = tool.get("flit", {}).get("module", {}).get("name") or _import_name(pyproject)
        for candidate in _package_dirs(root, module):
            if (candidate / "__init__.py").is_file():
                return _python_places(candidate / "__init__.py", required=True)
        for candidate in (root / f"{module}.py", root / "src" / f"{module}.py"):
            if candidate.is_file():
                return _python_places(candidate, required=True)
        msg = f"flit module {module!r} not found under {str(root)!r} or its src/"
        raise VersionPlaceError(msg)
    msg = (
        "the version is dynamic but releasekit cannot tell where it lives; supported: "
        "hatch version.path, setuptools attr:/file:, flit __version__, pdm file; "
        "or list the file in [tool.releasekit] version-files"
    )
    raise VersionPlaceError(msg)


def _setuptools_places(
    root: Path, pyproject: dict[str, Any], spec: dict[str, Any]
) -> list[VersionPlace]:
    if "file" in spec:
        files = spec["file"] if isinstance(spec["file"], list) else [spec["file"]]
        return [_text_place(_existing(root, name, "setuptools version file")) for name in files]
    attr = spec.get("attr")
    if not isinstance(attr, str) or "." not in attr:
        msg = f"[tool.setuptools.dynamic] version {spec!r} is neither attr: nor file:"
        raise VersionPlaceError(msg)
    module, _, name = attr.rpartition(".")
    package_dir = pyproject.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    bases = [root / package_dir[""]] if "" in package_dir else [root / "src", root]
    parts = module.split(".")
    for base in bases:
        for candidate in (
            base.joinpath(*parts, "__init__.py"),
            base.joinpath(*parts[:-1], parts[-1] + ".py"),
        ):
            if candidate.is_file():
                return _python_places(candidate, required=True, names=(name,))
    msg = f"setuptools version attr {attr!r}: module {module!r} not found under {str(root)!r}"
    raise VersionPlaceError(msg)


def _text_place(path: Path) -> VersionPlace:
    value = decode(path, read_bytes(path)).strip()
    if not value or "\n" in value:
        msg = f"{str(path)!r} must hold only the version"
        raise VersionPlaceError(msg)
    return VersionPlace(path=path, kind="text", name="file", value=value, line=1)


def _extra_places(root: Path, name: str) -> list[VersionPlace]:
    path = _existing(root, name, "[tool.releasekit] version-files entry")
    if path.suffix == ".toml":
        data = (
            read_pyproject(path.parent)
            if path.name == PYPROJECT
            else _parse_toml(path, decode(path, read_bytes(path))).unwrap()
        )
        for key in (("project", "version"), ("tool", "poetry", "version"), ("version",)):
            node: Any = data
            for part in key:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, str):
                return [_toml_place(path, key)]
        msg = f"{name!r} has no project.version, tool.poetry.version or version key"
        raise VersionPlaceError(msg)
    if path.suffix == ".py":
        return _python_places(path, required=True)
    return [_text_place(path)]


def _existing(root: Path, name: str, what: str) -> Path:
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        msg = f"{what} {name!r} is not a file inside the project"
        raise VersionPlaceError(msg)
    return path


def _import_name(pyproject: dict[str, Any]) -> str:
    name = pyproject.get("project", {}).get("name") or pyproject.get("tool", {}).get(
        "poetry", {}
    ).get("name", "")
    return canonicalize_name(str(name)).replace("-", "_")


def _package_dirs(root: Path, module: str) -> list[Path]:
    return [d for d in (root / "src" / module, root / module) if d.is_dir()]


def _duplicate_candidates(root: Path, pyproject: dict[str, Any]) -> Iterator[Path]:
    name = _import_name(pyproject)
    if not name:
        return
    for package in _package_dirs(root, name):
        for module in VERSION_MODULES:
            if (package / module).is_file():
                yield (package / module).resolve()
