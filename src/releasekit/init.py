"""`releasekit init`: detect how an existing project is laid out, and plan the files to add.

Detection only reads. The result is a plan of `FileEdit`s (new files, the
`[tool.releasekit]` table, an Unreleased section), shown as diffs and applied all-or-nothing
with `apply_edits`. An existing file is never overwritten unless the user says `--force`.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any, Final

import tomlkit
from packaging.version import Version

from releasekit import __version__, changelog
from releasekit.changelog import discovery, fragments
from releasekit.config import PYPROJECT, Config, find_root, read_pyproject
from releasekit.errors import (
    ChangelogError,
    ConfigError,
    GitError,
    InitConflictError,
    MissingSessionsError,
    RequirementError,
    UnpublishedReleasekitError,
)
from releasekit.files import FileEdit, apply_edits, decode, read_bytes
from releasekit.git import Git
from releasekit.project import Project, load_project
from releasekit.sessions import called_sessions, defined_sessions, session_spans
from releasekit.versions import latest_release_tag

BACKENDS: Final[dict[str, str]] = {
    "hatchling.build": "hatchling",
    "setuptools.build_meta": "setuptools",
    "setuptools.build_meta:__legacy__": "setuptools",
    "flit_core.buildapi": "flit-core",
    "pdm.backend": "pdm-backend",
    "poetry.core.masonry.api": "poetry-core",
}
TAG_PREFIXES: Final = ("v", "")
_SKIP_DIRS: Final = frozenset({".git", ".venv", "venv", ".nox", ".tox", "node_modules", "build"})
TASKS_FILE: Final = "tasks.py"
NOXFILE: Final = "noxfile.py"
CI_WORKFLOW: Final = ".github/workflows/ci.yml"
_PAST: Final = {"create": "created", "overwrite": "overwrote", "edit": "edited"}
BLOCK_START: Final = (
    "# >>> releasekit: sessions added by `releasekit init`; init rewrites only this block >>>"
)
BLOCK_END: Final = "# <<< releasekit <<<"
# Lines of the noxfile template that set file-wide nox options: a user's noxfile keeps its own.
_FILE_WIDE: Final = re.compile(r"^(from __future__ import|nox\.options\.|nox\.needs_version)")
_UNSAFE_SPEC: Final = re.compile(r"[\s\"'`\\$]")


@dataclass(frozen=True)
class TagStyle:
    """The release tags found in the repository, and the prefix they share."""

    prefix: str
    latest: str | None  # the tag of the highest release version, if any
    latest_on_branch: bool
    mixed: bool  # tags with both "v" and no prefix exist


@dataclass(frozen=True)
class ChangelogState:
    """The changelog file init found (or would create)."""

    name: str
    exists: bool
    has_unreleased: bool
    built_by: str | None = None  # the fragment tool that writes it, described
    others: tuple[str, ...] = ()  # other changelogs found, left alone


@dataclass(frozen=True)
class Detection:
    """What init found in the project: everything it needs to plan, and nothing changed."""

    project: Project
    backend: str
    branch: str
    tags: TagStyle
    changelog: ChangelogState
    version_files: tuple[str, ...]  # other pyproject.toml files that hold the same version


@dataclass(frozen=True)
class InitPlan:
    """The edits init would make, the existing files it would replace, and notes for people."""

    edits: tuple[FileEdit, ...]
    conflicts: tuple[FileEdit, ...]  # existing files whose content would change
    notes: tuple[str, ...] = field(default=())


# --- detection ----------------------------------------------------------------------------


def project_root(start: Path | None = None) -> Path:
    """The project init works on; a setup.py/setup.cfg-only project is refused by name."""
    here = (start or Path.cwd()).resolve()
    if not (here / PYPROJECT).is_file():
        for legacy in ("setup.py", "setup.cfg"):
            if (here / legacy).is_file():
                msg = (
                    f"{legacy!r} without a {PYPROJECT} is not supported: releasekit reads the "
                    f"name and version from {PYPROJECT}; move them to a [project] table first"
                )
                raise ConfigError(msg)
    return find_root(here)


def detect(root: Path) -> Detection:
    """Read the project at `root` and its git repository; change nothing."""
    project = load_project(root)
    if project.tag_source is None:
        _ = project.version  # fails now, listing the places, if they disagree
    repo = Git(root)
    if repo.is_shallow():
        msg = (
            "this is a shallow clone, so its tags and history are incomplete and the last "
            "release cannot be known; run 'git fetch --unshallow --tags' and run again"
        )
        raise GitError(msg)
    config = project.config
    branch = config.branch or default_branch(repo, config.remote)
    # The prefix was chosen when the project was read: configured, else inferred from the
    # newest release tags (releasekit.tags.choose_prefix), else "v".
    tags = tag_style(repo, branch, configured=project.prefix.prefix)
    return Detection(
        project=project,
        backend=build_backend(project.pyproject),
        branch=branch,
        tags=tags,
        changelog=_changelog_state(root, project.pyproject, config, tags.prefix),
        version_files=_other_pyprojects(root, project),
    )


def build_backend(pyproject: dict[str, Any]) -> str:
    """Name the build backend: one of BACKENDS' values, or the backend string itself."""
    backend = pyproject.get("build-system", {}).get("build-backend")
    if not isinstance(backend, str):
        msg = (
            f"{PYPROJECT} has no [build-system] build-backend; declare one, e.g. "
            "'requires = [\"hatchling\"]' and 'build-backend = \"hatchling.build\"'"
        )
        raise ConfigError(msg)
    return BACKENDS.get(backend, backend)


def default_branch(repo: Git, remote: str) -> str:
    """The remote's default branch, else the current branch."""
    found = repo.default_branch(remote) or repo.branch()
    if found is None:
        msg = "HEAD is detached and the remote names no default branch; check out a branch"
        raise GitError(msg)
    return found


def tag_style(repo: Git, branch: str, *, configured: str | None = None) -> TagStyle:
    """Find the release tags (one git call) and the prefix they use."""
    names = repo.run("for-each-ref", "--format=%(refname:strip=2)", "refs/tags").splitlines()
    prefixes = TAG_PREFIXES if configured is None else (configured,)
    found = {
        prefix: best
        for prefix in prefixes
        if (best := latest_release_tag(names, prefix)) is not None
    }
    if not found:
        return TagStyle(prefix=prefixes[0], latest=None, latest_on_branch=True, mixed=False)
    prefix = max(found, key=lambda each: found[each][1])
    latest = found[prefix][0]
    merged = (repo.try_run("tag", "--list", "--merged", branch, latest) or "").strip()
    return TagStyle(
        prefix=prefix, latest=latest, latest_on_branch=merged == latest, mixed=len(found) > 1
    )


def _configured(pyproject: dict[str, Any], key: str) -> str | None:
    value = pyproject.get("tool", {}).get("releasekit", {}).get(key)
    return value if isinstance(value, str) else None


def _changelog_state(
    root: Path, pyproject: dict[str, Any], config: Config, prefix: str
) -> ChangelogState:
    tool = fragments.detect(root, pyproject)
    found = discovery.discover(root, pyproject, tool)
    if not found:
        return ChangelogState(config.changelog, exists=False, has_unreleased=False)
    first, others = found[0], tuple(entry.path for entry in found[1:])
    if tool is not None and first.path == tool.news_file:
        # The tool writes it at release time: nothing to add, nothing to create.
        return ChangelogState(
            first.path, first.exists, has_unreleased=True, built_by=tool.describe(), others=others
        )
    if not first.exists:
        return ChangelogState(first.path, exists=False, has_unreleased=False, others=others)
    path = root / first.path
    doc = changelog.parse(decode(path, read_bytes(path)), tag_prefix=prefix)
    if first.format != "markdown" and not doc.headings:
        msg = (
            f"the changelog {first.path!r} is not Markdown and releasekit edits Markdown "
            "(Keep a Changelog); convert it, or set [tool.releasekit] changelog to "
            "a new CHANGELOG.md"
        )
        raise ChangelogError(msg)
    return ChangelogState(first.path, True, has_unreleased=bool(doc.unreleased), others=others)


def _other_pyprojects(root: Path, project: Project) -> tuple[str, ...]:
    """Other pyproject.toml files (two levels down) with the same static version."""
    if project.tag_source is not None:
        return ()  # the tag is the version; nothing else to keep in step
    known = {place.path.resolve() for place in project.places}
    current = project.version
    found: list[str] = []
    for path in sorted(root.glob("*/pyproject.toml")) + sorted(root.glob("*/*/pyproject.toml")):
        rel = path.relative_to(root)
        if _SKIP_DIRS.intersection(rel.parts) or path.resolve() in known:
            continue
        try:
            version = read_pyproject(path.parent).get("project", {}).get("version")
        except ConfigError:
            continue
        if isinstance(version, str) and _same_version(version, current):
            found.append(rel.as_posix())
    return tuple(found)


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except ValueError:
        return False


# --- planning -----------------------------------------------------------------------------


def plan_init(
    found: Detection,
    *,
    add_unreleased: bool = False,
    skip_existing: bool = False,
    requirement: str = "",
) -> InitPlan:
    """Plan every file init writes; existing files that would change are conflicts.

    An existing noxfile is never replaced: the sessions it lacks are added to it as one
    marked block (or, with `skip_existing`, it is kept as it is).
    """
    root = found.project.root
    edits: list[FileEdit] = []
    notes: list[str] = []
    pyproject = _pyproject_edit(found)
    if pyproject is not None:
        edits.append(pyproject)
    changelog = _changelog_edit(found, add_unreleased=add_unreleased, notes=notes)
    if changelog is not None:
        edits.append(changelog)
    values = template_values(found, requirement)
    conflicts: list[FileEdit] = []
    for target, template in _generated_files(found.project.config):
        edit = _new_file(root / target, render(template, values))
        if edit.before is not None and edit.changes and target == NOXFILE and not skip_existing:
            block = noxfile_block_edit(edit)
            if block is not None:
                if block.changes:
                    notes.append(
                        f"{NOXFILE} exists: adding the sessions it lacks as a marked block"
                    )
                edits.append(block)
                continue
        if edit.before is None or not edit.changes:
            edits.append(edit)
        elif skip_existing:
            notes.append(f"kept the existing {target} (--skip-existing)")
        else:
            conflicts.append(edit)
    notes.extend(_tag_notes(found))
    return InitPlan(edits=tuple(edits), conflicts=tuple(conflicts), notes=tuple(notes))


def noxfile_block_edit(generated: FileEdit) -> FileEdit | None:
    """Add to an existing noxfile, as one marked block, the generated sessions it lacks.

    The user's lines are kept byte for byte; a block from an earlier init is replaced. The
    block's names live inside a function, so they cannot clash with the user's.
    """
    assert generated.before is not None  # noqa: S101 - only called for existing files
    text = decode(generated.path, generated.before)
    user = _without_block(text)
    defined = defined_sessions(user)
    if defined is None:
        return None  # not valid Python: a plain conflict, shown as a diff
    template = decode(generated.path, generated.after)
    wanted = defined_sessions(template) or set()
    block = _block(template, wanted & defined) if wanted - defined else ""
    newline = "\r\n" if "\r\n" in text else "\n"
    after = user.rstrip("\r\n") + newline + (newline * 2 + block if block else "")
    after = after.replace("\r\n", "\n").replace("\n", newline)
    if after.strip() == text.strip():
        after = text
    return FileEdit(path=generated.path, before=generated.before, after=after.encode("utf-8"))


def _without_block(text: str) -> str:
    start = text.find(BLOCK_START)
    if start < 0:
        return text
    end = text.find(BLOCK_END, start)
    end = len(text) if end < 0 else end + len(BLOCK_END)
    return text[:start].rstrip("\r\n") + "\n" + text[end:].lstrip("\r\n")


def _block(template: str, skip: set[str]) -> str:
    lines = template.splitlines()
    drop: set[int] = set()
    for first, last in session_spans(template, skip):
        drop.update(range(first - 1, last))
    docstring = ast.get_docstring(ast.parse(template), clean=False)
    body = [
        line
        for index, line in enumerate(lines)
        if index not in drop
        and not _FILE_WIDE.match(line)
        and not (docstring is not None and index == 0 and line.startswith('"""'))
    ]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(body).strip("\n"))
    indented = "\n".join(f"    {line}" if line else "" for line in text.splitlines())
    return (
        f"{BLOCK_START}\n"
        "# `nox -l` lists these with the sessions above. To change one, move it out of this\n"
        "# block (init then leaves it alone) or run `releasekit init` again to refresh them.\n"
        "def _releasekit_sessions() -> None:\n"
        f"{indented}\n\n\n"
        "_releasekit_sessions()\n"
        f"{BLOCK_END}\n"
    )


def check_sessions(plan: InitPlan, root: Path) -> None:
    """Refuse a plan whose workflows would call sessions the final noxfile does not define."""
    written = {edit.path: edit.after for edit in plan.edits if edit.changes}
    noxfile = root / NOXFILE
    if noxfile in written:
        source = written[noxfile].decode("utf-8")
    elif noxfile.is_file():
        source = decode(noxfile, read_bytes(noxfile))
    else:
        source = ""
    defined = defined_sessions(source) or set()
    for path, data in written.items():
        if path.parent.name != "workflows":
            continue
        missing = [name for name in called_sessions(data.decode("utf-8")) if name not in defined]
        if missing:
            rel = path.relative_to(root).as_posix()
            msg = (
                f"{rel} would call nox sessions that {NOXFILE} does not define: "
                f"{', '.join(missing)}; nothing was changed; run init without --skip-existing "
                f"to add them to {NOXFILE} as a marked block, or define them yourself"
            )
            raise MissingSessionsError(msg)


def resolve_requirement(spec: str | None) -> str:
    """What the generated noxfile and workflows install to get releasekit.

    By default the running releasekit, pinned, when it is a final release (an index can
    have it); a development, pre- or local version is refused with the remedy.
    """
    if spec is not None:
        if not spec.strip() or _UNSAFE_SPEC.search(spec):
            msg = (
                f"--requirement {spec!r} is not a requirement init can write into Python and "
                "YAML strings; give a version pin (releasekit==1.2.0), a path or a URL, "
                "without spaces, quotes, backslashes or '$'"
            )
            raise RequirementError(msg)
        return spec
    running = Version(__version__)
    if running.is_devrelease or running.is_prerelease or running.local:
        msg = (
            f"releasekit {__version__} (the one running) is not a final release, so no package "
            "index has it for the generated noxfile and workflows to install; say what they "
            "should install: 'releasekit init --requirement releasekit==X.Y.Z' (a released "
            "version), '--requirement ./path/to/releasekit' or '--requirement URL'"
        )
        raise UnpublishedReleasekitError(msg)
    return f"releasekit=={running}"


def settings(found: Detection) -> dict[str, Any]:
    """The `[tool.releasekit]` values that differ from the defaults and are not yet set."""
    defaults = Config()
    existing = found.project.pyproject.get("tool", {}).get("releasekit", {})
    wanted: dict[str, Any] = {}
    if found.tags.prefix != defaults.tag_prefix or "tag-prefix" not in existing:
        wanted["tag-prefix"] = found.tags.prefix  # written down: no inference at release time
    if found.branch != "main":
        wanted["branch"] = found.branch
    if found.changelog.name != defaults.changelog and found.changelog.built_by is None:
        wanted["changelog"] = found.changelog.name
    if found.version_files:
        listed = list(existing.get("version-files", []))
        missing = [name for name in found.version_files if name not in listed]
        if missing:
            wanted["version-files"] = listed + missing
    return {key: value for key, value in wanted.items() if existing.get(key) != value}


def _pyproject_edit(found: Detection) -> FileEdit | None:
    wanted = settings(found)
    if not wanted:
        return None
    path = found.project.root / PYPROJECT
    before = read_bytes(path)
    text = decode(path, before)
    doc = tomlkit.parse(text)
    tool = doc.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        doc["tool"] = tool
    table = tool.get("releasekit")
    if table is None:
        table = tomlkit.table()
        tool["releasekit"] = table
    for key, value in wanted.items():
        table[key] = value
    after = tomlkit.dumps(doc)
    if "\r\n" in text:
        after = re.sub(r"(?<!\r)\n", "\r\n", after)
    return FileEdit(path=path, before=before, after=after.encode("utf-8"))


def _changelog_edit(found: Detection, *, add_unreleased: bool, notes: list[str]) -> FileEdit | None:
    state = found.changelog
    path = found.project.root / state.name
    if state.built_by is not None:
        return None  # the fragment tool writes it; releasekit never edits it by hand
    if not state.exists:
        text = render("CHANGELOG.md.tmpl", template_values(found))
        return FileEdit(path=path, before=None, after=text.encode("utf-8"))
    if state.has_unreleased:
        return None
    if not add_unreleased:
        notes.append(
            f"{state.name} has no Unreleased section; run 'releasekit init --add-unreleased' "
            "to add one above the newest release"
        )
        return None
    before = read_bytes(path)
    text = decode(path, before)
    doc = changelog.parse(text, tag_prefix=found.tags.prefix, fmt=changelog.format_of(path))
    return FileEdit(path=path, before=before, after=changelog.with_unreleased(doc).encode("utf-8"))


def _tag_notes(found: Detection) -> list[str]:
    tags, notes = found.tags, []
    if tags.latest is None:
        notes.append(f"no release tags yet; the first release will be tagged {tags.prefix!r}X.Y.Z")
    elif not tags.latest_on_branch:
        notes.append(f"the latest release tag {tags.latest!r} is not on {found.branch!r}")
    inferred = found.project.prefix
    if inferred.how == "inferred":
        notes.append(f"tag prefix {inferred.prefix!r} inferred: {inferred.detail}")
    return notes


def _generated_files(config: Config) -> list[tuple[str, str]]:
    return [
        (TASKS_FILE, "tasks.py.tmpl"),
        (NOXFILE, "noxfile.py.tmpl"),
        (CI_WORKFLOW, "ci.yml.tmpl"),
        (f".github/workflows/{config.workflow}", "release.yml.tmpl"),
    ]


def _new_file(path: Path, text: str) -> FileEdit:
    before = read_bytes(path) if path.is_file() else None
    return FileEdit(path=path, before=before, after=text.encode("utf-8"))


# --- templates ----------------------------------------------------------------------------


def template_values(found: Detection, requirement: str = "") -> dict[str, str]:
    """The values templates refer to as @@NAME@@."""
    config = found.project.config
    return {
        "BRANCH": found.branch,
        "TAG_PREFIX": found.tags.prefix,
        "NAME": found.project.name,
        "ENVIRONMENT": config.environment,
        "TEST_ENVIRONMENT": config.test_environment,
        "WORKFLOW": config.workflow,
        "RELEASEKIT": requirement or f"releasekit=={__version__}",
        "CHECKOUT_HISTORY": _checkout_history(found),
    }


def _checkout_history(found: Detection) -> str:
    source = found.project.tag_source
    if source is None:
        return ""
    # The backend reads the version from the nearest tag: the jobs that check the tag
    # and build need the whole history and the tags, not the default single commit.
    return f"\n          fetch-depth: 0  # {source.backend} reads the version from git tags"


def _template(name: str) -> str:
    return (package_files("releasekit") / "templates" / name).read_text(encoding="utf-8")


def render(template: str, values: dict[str, str]) -> str:
    """Replace each @@NAME@@ in a template file; every name must be known."""
    text = _template(template)

    def substitute(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return re.sub(r"@@([A-Z_]+)@@", substitute, text)


# --- showing and applying ---------------------------------------------------------------


def diff(edit: FileEdit, root: Path) -> str:
    """A unified diff of one edit, with paths relative to `root`."""
    rel = edit.path.relative_to(root).as_posix()
    before = "" if edit.before is None else decode(edit.path, edit.before)
    after = decode(edit.path, edit.after)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile="/dev/null" if edit.before is None else f"a/{rel}",
        tofile=f"b/{rel}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def describe(found: Detection) -> list[str]:
    """What init found, one line each."""
    project, tags = found.project, found.tags
    places = ", ".join(place.label(project.root) for place in project.places)
    if project.tag_source is not None:
        places = f"git tags ({project.tag_source.backend}, {project.tag_source.where})"
        places += "".join(f", {place.label(project.root)}" for place in project.places)
    current = project.nearest.version if project.nearest else None
    if project.tag_source is None:
        current = project.version
    latest = f"latest {tags.latest}" if tags.latest else "no release tags yet"
    state = found.changelog
    if state.built_by is not None:
        changelog = f"{state.name} (built at release time by {state.built_by})"
    elif state.exists:
        changelog = f"{state.name} (kept as it is)"
    else:
        changelog = f"{state.name} (new, Keep a Changelog)"
    if state.others:
        changelog += f"; also found, left alone: {', '.join(state.others)}"
    return [
        f"project: {project.name} {current or '(no release tag yet)'}",
        f"build backend: {found.backend}",
        f"version lives in: {places}",
        f"tag prefix: {tags.prefix!r} ({latest})",
        f"release branch: {found.branch}",
        f"changelog: {changelog}",
    ]


def check_conflicts(plan: InitPlan, root: Path) -> None:
    """Refuse a plan that would overwrite existing files (the caller showed their diffs)."""
    if plan.conflicts:
        names = ", ".join(repr(edit.path.relative_to(root).as_posix()) for edit in plan.conflicts)
        msg = (
            f"{names} already exist and differ from what init writes (diff above); "
            "nothing was changed; run again with --force to overwrite or --skip-existing to keep"
        )
        raise InitConflictError(msg)


def run_init(
    root: Path,
    out: Callable[[str], None],
    *,
    dry_run: bool = False,
    force: bool = False,
    add_unreleased: bool = False,
    skip_existing: bool = False,
    requirement: str | None = None,
) -> InitPlan:
    """Detect, plan, show (diffs on dry-run and for conflicts), check, then apply."""
    spec = resolve_requirement(requirement)
    found = detect(root)
    plan = plan_init(
        found, add_unreleased=add_unreleased, skip_existing=skip_existing, requirement=spec
    )
    for line in describe(found):
        out(f"  {line}")
    for note in plan.notes:
        out(f"note: {note}")
    for edit in plan.conflicts:
        out(diff(edit, root).rstrip("\n"))
    if not force:
        check_conflicts(plan, root)
    check_sessions(plan, root)
    out(f"  releasekit for the generated files: {spec}")
    edits = [*plan.edits, *plan.conflicts]
    for edit in edits:
        rel = edit.path.relative_to(root).as_posix()
        if not edit.changes:
            out(f"unchanged {rel}")
            continue
        conflict = edit in plan.conflicts
        verb = "create" if edit.before is None else "overwrite" if conflict else "edit"
        out(f"would {verb} {rel}" if dry_run else f"{_PAST[verb]} {rel}")
        if dry_run and not conflict:
            out(diff(edit, root).rstrip("\n"))
    if not dry_run:
        for edit in edits:
            if edit.changes:
                edit.path.parent.mkdir(parents=True, exist_ok=True)
        apply_edits(edits)
    return plan
