"""Where a project's version lives, reading it, and writing a new one everywhere.

Places are discovered without configuration (see the README's "Where versions live"):
the static ``[project] version``, ``[tool.poetry] version``, the file a dynamic version is
read from (hatch ``path``, setuptools ``attr:``/``file:``, flit, pdm), any
``__version__ = "..."`` literal in a version module of the import packages the backend
ships (`packages`), the records of bump-my-version, commitizen and tbump (`records`), the
extra files named by ``[tool.releasekit] version-files``, and the project's own entries in
``uv.lock``. A backend that derives the version from git tags (`scm`) has no places: its
version is the nearest release tag.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from releasekit import packages, records, scm, spelling, tags
from releasekit.config import PYPROJECT, Config, load_config, read_pyproject
from releasekit.errors import GitError, VersionPlaceError
from releasekit.files import decode, read_bytes
from releasekit.places import (
    UV_LOCK,
    VERSION_MODULES,
    VersionPlace,
    parse_toml,
    python_places,
    text_place,
    toml_place,
    uv_lock_places,
    version_edits,
)

__all__ = ["Project", "VersionPlace", "agreed_version", "load_project", "version_edits"]


@dataclass(frozen=True)
class Project:
    """A project on disk: its root, settings, metadata and version places."""

    root: Path
    config: Config
    pyproject: dict[str, Any] = field(repr=False)
    places: tuple[VersionPlace, ...]
    prefix: tags.PrefixChoice
    spelling: spelling.Spelling
    tag_source: scm.TagSource | None = None
    nearest: tags.Release | None = None  # for a tag-derived version: the nearest release tag
    left_alone: tuple[str, ...] = ()  # other tools' records releasekit does not edit
    tools: tuple[str, ...] = ()  # other release tools configured (bump-my-version, ...)
    git_problem: str | None = None  # why the tags could not be read, when they could not
    tag_list: tuple[tags.TagInfo, ...] = field(default=(), repr=False)  # newest first

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
        """The current version: the places' (checked to agree) or the nearest release tag."""
        if self.tag_source is None:
            return self.spell(agreed_version(self.places, self.root))
        if self.nearest is not None:
            return self.spell(self.nearest.version)
        if self.git_problem is not None:
            backend = self.tag_source.backend
            msg = f"the version comes from git tags ({backend}) but {self.git_problem}"
        else:
            msg = (
                f"the version comes from git tags ({self.tag_source.backend}) and no release "
                f"tag {self.prefix.prefix!r}X.Y.Z is reachable from HEAD; give the first "
                "version explicitly, e.g. 'releasekit release 0.1.0'"
            )
        raise VersionPlaceError(msg)

    def spell(self, version: Version, *, like: str | None = None) -> Version:
        """`version` as this project writes it (padding, bare .dev); `like` is the text
        a user gave for it, whose own padding is kept too."""
        chosen = self.spelling if like is None else self.spelling.merge(spelling.learn([like]))
        return chosen.write(version)


def load_project(root: Path) -> Project:
    """Read the project at `root`, its tags' style, and every place that holds its version."""
    pyproject = read_pyproject(root)
    config = load_config(root, pyproject)
    source = scm.tag_source(pyproject)
    listed, git, problem = _tag_list(root)
    names = [tag.name for tag in listed]
    configured = config.tag_prefix if "tag_prefix" in config.explicit else None
    prefix = tags.choose_prefix(names, configured)
    config = replace(config, tag_prefix=prefix.prefix)
    places = [] if source is not None else find_places(root, pyproject, config)
    nearest = tags.nearest_release(git, prefix.prefix, source) if source and git else None
    current = places[0].value if places else (_tag_text(nearest, prefix.prefix))
    found = records.find_records(root, pyproject, current, changelog=config.changelog)
    places.extend(found.places)
    tagged = [
        name[len(prefix.prefix) :] for name in names if tags.release_version(name, prefix.prefix)
    ]
    return Project(
        root=root,
        config=config,
        pyproject=pyproject,
        places=tuple(places),
        prefix=prefix,
        tag_source=source,
        nearest=nearest,
        spelling=spelling.learn([place.value for place in places] + tagged),
        left_alone=tuple(found.left_alone),
        tools=tuple(found.tools),
        git_problem=problem,
        tag_list=tuple(listed),
    )


def describe_places(project: Project) -> list[str]:
    """For `version --verbose`: every place, why it counts, and what is left alone."""
    root = project.root
    lines = []
    if project.tag_source is not None:
        source = project.tag_source
        nearest = project.nearest.tag if project.nearest else "none reachable from HEAD"
        lines.append(f"git tags: {source.backend} ({source.where}); nearest release tag {nearest}")
    for place in project.places:
        lines.append(f"{place.label(root)}: {place.value}  <- {place.reason or 'configured'}")
    note = project.prefix.note()
    lines.append(note if note is not None else f"tag prefix {project.prefix.prefix!r} (configured)")
    lines.append(f"spelling: {project.spelling.describe()}")
    lines.extend(f"other tool: {tool}" for tool in project.tools)
    lines.extend(f"left alone: {line}" for line in project.left_alone)
    return lines


def _tag_text(nearest: tags.Release | None, prefix: str) -> str | None:
    return nearest.tag[len(prefix) :] if nearest is not None else None


def _tag_list(root: Path) -> tuple[list[tags.TagInfo], Any, str | None]:
    """The tags newest first, the Git object, and why git could not be read (if so)."""
    try:
        git = tags.TagReader(root)  # plain git, not gitpython: `version` must start fast
        if git.is_shallow():
            return [], None, "this is a shallow clone; run 'git fetch --unshallow --tags'"
        return tags.all_tags(git), git, None
    except GitError as exc:
        return [], None, str(exc)


def find_places(root: Path, pyproject: dict[str, Any], config: Config) -> list[VersionPlace]:
    """Return every place that holds the version, each exactly once (other tools' aside)."""
    places: list[VersionPlace] = []
    pyproject_path = root / PYPROJECT
    project = pyproject.get("project", {})
    dynamic = "version" in project.get("dynamic", [])
    if "version" in project:
        places.append(
            _because(toml_place(pyproject_path, ("project", "version")), "[project] version")
        )
    poetry = pyproject.get("tool", {}).get("poetry", {})
    if "version" in poetry and not dynamic:
        place = toml_place(pyproject_path, ("tool", "poetry", "version"))
        places.append(_because(place, "[tool.poetry] version"))
    if dynamic:
        places.extend(_dynamic_places(root, pyproject))
    if not places:
        msg = (
            f"{PYPROJECT} has neither a [project] version nor a dynamic version source; "
            f"add 'version = \"0.1.0\"' under [project]"
        )
        raise VersionPlaceError(msg)
    known = {place.path for place in places}
    for module, reason in _duplicate_candidates(root, pyproject):
        if module not in known:
            found = python_places(module, required=False)
            places.extend(_because(place, reason) for place in found)
            known.add(module)
    for extra in config.version_files:
        found = _extra_places(root, extra)
        places.extend(_because(p, "[tool.releasekit] version-files") for p in found)
    if (root / UV_LOCK).is_file():
        found = uv_lock_places(root, places)
        places.extend(_because(p, "uv records the project's own version") for p in found)
    return places


def _because(place: VersionPlace, reason: str) -> VersionPlace:
    return place if place.reason else replace(place, reason=reason)


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


# --- dynamic versions and their files ----------------------------------------------------


def _dynamic_places(root: Path, pyproject: dict[str, Any]) -> list[VersionPlace]:
    tool = pyproject.get("tool", {})
    backend = pyproject.get("build-system", {}).get("build-backend", "")
    if "version" in tool.get("hatch", {}):
        hatch = tool["hatch"]["version"]
        if "path" in hatch and hatch.get("source", "regex") == "regex":
            path = _existing(root, hatch["path"], "[tool.hatch.version] path")
            return [
                _because(p, "[tool.hatch.version] path") for p in python_places(path, required=True)
            ]
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
        path = _existing(root, pdm["path"], "[tool.pdm.version] path")
        return [_because(p, "[tool.pdm.version] path") for p in python_places(path, required=True)]
    if backend.startswith("flit_core"):
        module = tool.get("flit", {}).get("module", {}).get("name") or packages.import_name(
            pyproject
        )
        parts = str(module).split(".")
        for base in (root / "src", root):
            for candidate in (
                base.joinpath(*parts, "__init__.py"),
                base.joinpath(*parts[:-1], f"{parts[-1]}.py"),
            ):
                if candidate.is_file():
                    found = python_places(candidate, required=True)
                    return [
                        _because(p, f"flit reads __version__ of module {module!r}") for p in found
                    ]
        msg = f"flit module {module!r} not found under {str(root)!r} or its src/"
        raise VersionPlaceError(msg)
    msg = (
        "the version is dynamic but releasekit cannot tell where it lives; supported: "
        "hatch version.path or vcs, setuptools attr:/file: or setuptools-scm, flit "
        "__version__, pdm file or scm; "
        "or list the file in [tool.releasekit] version-files"
    )
    raise VersionPlaceError(msg)


def _setuptools_places(
    root: Path, pyproject: dict[str, Any], spec: dict[str, Any]
) -> list[VersionPlace]:
    if "file" in spec:
        files = spec["file"] if isinstance(spec["file"], list) else [spec["file"]]
        return [
            _because(
                text_place(_existing(root, name, "setuptools version file")), "setuptools file:"
            )
            for name in files
        ]
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
                found = python_places(candidate, required=True, names=(name,))
                return [_because(p, f"setuptools attr: {attr}") for p in found]
    msg = f"setuptools version attr {attr!r}: module {module!r} not found under {str(root)!r}"
    raise VersionPlaceError(msg)


def _extra_places(root: Path, name: str) -> list[VersionPlace]:
    path = _existing(root, name, "[tool.releasekit] version-files entry")
    if path.suffix == ".toml":
        data = (
            read_pyproject(path.parent)
            if path.name == PYPROJECT
            else parse_toml(path, decode(path, read_bytes(path))).unwrap()
        )
        for key in (("project", "version"), ("tool", "poetry", "version"), ("version",)):
            node: Any = data
            for part in key:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, str):
                return [toml_place(path, key)]
        msg = f"{name!r} has no project.version, tool.poetry.version or version key"
        raise VersionPlaceError(msg)
    if path.suffix == ".py":
        return python_places(path, required=True)
    return [text_place(path)]


def _existing(root: Path, name: str, what: str) -> Path:
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        msg = f"{what} {name!r} is not a file inside the project"
        raise VersionPlaceError(msg)
    return path


def _duplicate_candidates(root: Path, pyproject: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    for package in packages.import_packages(root, pyproject):
        for module in VERSION_MODULES:
            if (package.path / module).is_file():
                yield (package.path / module).resolve(), f"a version module of {package.reason}"
