"""The project root, its pyproject.toml, and the `[tool.releasekit]` settings."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from releasekit.errors import ConfigError
from releasekit.files import confine

PYPROJECT = "pyproject.toml"
# Marks a setting that names files: `load_config` confines every one to the repository.
FILES = {"files": True}


@dataclass(frozen=True)
class Config:
    """Settings from `[tool.releasekit]`; every field has a default."""

    tag_prefix: str = "v"
    branch: str | None = None
    remote: str = "origin"
    changelog: str = field(default="CHANGELOG.md", metadata=FILES)
    version_files: tuple[str, ...] = field(default=(), metadata=FILES)
    workflow: str = "release.yml"
    environment: str = "pypi"
    test_environment: str = "testpypi"
    # The keys the table sets (field names): an unset tag-prefix is inferred from the tags.
    explicit: frozenset[str] = field(default=frozenset(), compare=False)


_KEYS = {f.name.replace("_", "-"): f.name for f in fields(Config) if f.name != "explicit"}


def find_root(start: Path | None = None) -> Path:
    """Return the nearest directory at or above `start` that holds a pyproject.toml."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / PYPROJECT).is_file():
            return candidate
    msg = f"no {PYPROJECT} in {str(here)!r} or any parent; run releasekit inside a Python project"
    raise ConfigError(msg)


def read_pyproject(root: Path) -> dict[str, Any]:
    """Parse `root/pyproject.toml` (read-only; edits go through tomlkit elsewhere)."""
    path = root / PYPROJECT
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError:
        msg = f"{str(path)!r} does not exist"
        raise ConfigError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"{PYPROJECT} is not valid TOML ({exc}); fix the file and run again"
        raise ConfigError(msg) from None
    except UnicodeDecodeError:
        msg = f"{PYPROJECT} is not UTF-8 text; fix the file and run again"
        raise ConfigError(msg) from None
    _check_tables(data)
    return data


# The tables releasekit reads; valid TOML can still give any of them another type.
_TABLES = (
    ("project",),
    ("build-system",),
    ("tool",),
    ("tool", "releasekit"),
    ("tool", "poetry"),
    ("tool", "hatch"),
    ("tool", "hatch", "version"),
    ("tool", "setuptools"),
    ("tool", "setuptools", "dynamic"),
    ("tool", "setuptools", "package-dir"),
    ("tool", "pdm"),
    ("tool", "pdm", "version"),
    ("tool", "flit"),
    ("tool", "flit", "module"),
)


def _check_tables(data: dict[str, Any]) -> None:
    """Refuse, in one line, a pyproject.toml whose tables releasekit reads are not tables."""
    for key in _TABLES:
        node: Any = data
        for part in key:
            if not isinstance(node, dict) or part not in node:
                node = None
                break
            node = node[part]
        if node is not None and not isinstance(node, dict):
            name = ".".join(key)
            msg = (
                f"{PYPROJECT}: {name} must be a table ([{name}]), got {type(node).__name__} "
                f"{node!r:.40}; fix the file and run again"
            )
            raise ConfigError(msg)
    dynamic = data.get("project", {}).get("dynamic")
    if dynamic is not None and not isinstance(dynamic, list):
        msg = f"{PYPROJECT}: project.dynamic must be a list of field names, got {dynamic!r:.40}"
        raise ConfigError(msg)


def load_config(root: Path, pyproject: dict[str, Any] | None = None) -> Config:
    """Return the `[tool.releasekit]` settings of the project at `root`."""
    data = read_pyproject(root) if pyproject is None else pyproject
    table = data.get("tool", {}).get("releasekit", {})
    if not isinstance(table, dict):
        msg = "[tool.releasekit] in pyproject.toml must be a table"
        raise ConfigError(msg)
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = _KEYS.get(key)
        if name is None:
            known = ", ".join(sorted(_KEYS))
            msg = f"unknown key {key!r} in [tool.releasekit]; known keys: {known}"
            raise ConfigError(msg)
        values[name] = _checked(key, name, value)
    explicit = frozenset(values)
    if "changelog" not in values:
        # Not set: the file the project's fragment tool writes, else one found by its name.
        from releasekit.changelog.discovery import discovered_name  # noqa: PLC0415 - a cycle

        values["changelog"] = discovered_name(root, data)
    config = Config(**values, explicit=explicit)
    for item in fields(Config):
        if item.metadata.get("files"):
            value = getattr(config, item.name)
            key = item.name.replace("_", "-")
            for name in (value,) if isinstance(value, str) else value:
                confine(root, name, f"[tool.releasekit] {key}")
    return config


def changelog_path(root: Path, config: Config) -> Path:
    """The changelog file itself (a symlink resolved), checked to be inside the repository."""
    return confine(root, config.changelog, "[tool.releasekit] changelog")


def _checked(key: str, name: str, value: Any) -> Any:  # noqa: ANN401 - TOML values are untyped
    if name == "version_files":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            msg = f"[tool.releasekit] {key} must be a list of paths, got {value!r}"
            raise ConfigError(msg)
        return tuple(value)
    if not isinstance(value, str):
        msg = f"[tool.releasekit] {key} must be a string, got {value!r}"
        raise ConfigError(msg)
    if name == "tag_prefix" and (value != value.strip() or any(c.isspace() for c in value)):
        msg = f"[tool.releasekit] tag-prefix {value!r} must not contain whitespace"
        raise ConfigError(msg)
    if name == "tag_prefix" and value.startswith("-"):
        # git takes such a tag name for an option (`git tag --force1.0`, `git push ... -v1`).
        msg = f"[tool.releasekit] tag-prefix {value!r} must not start with '-'"
        raise ConfigError(msg)
    return value
