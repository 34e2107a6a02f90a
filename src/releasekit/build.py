"""Building the sdist and wheel once, checking them, and recording their SHA-256 sums.

The files that `build` leaves in ``dist/`` are the files that get tested (`releasekit.wheeltest`)
and uploaded (`verify_dist` re-checks ``SHA256SUMS`` before either). A build is reproducible:
``SOURCE_DATE_EPOCH`` comes from the HEAD commit and the wheel is built from the sdist.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path
from typing import Literal

import git
from build import BuildBackendException, BuildException, ProjectBuilder
from build.env import DefaultIsolatedEnv
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from releasekit.errors import BuildError, TagError, TagMismatchError
from releasekit.files import sha256_of
from releasekit.project import Project, load_project
from releasekit.versions import version_from_tag

SUMS = "SHA256SUMS"
Installer = Literal["uv", "pip"]
Kind = Literal["sdist", "wheel"]
ARTIFACT_SUFFIXES = (".whl", ".tar.gz", ".zip", ".egg")
_SUM_LINE = re.compile(r"^(?P<digest>[0-9a-f]{64}) [ *](?P<name>[^/\\]+)$")
_TAIL = 15


@dataclass(frozen=True)
class Artifact:
    """One built distribution file and what its name and metadata say."""

    path: Path
    kind: Kind
    name: NormalizedName
    version: Version
    sha256: str

    def sums_line(self) -> str:
        """This file's line in ``SHA256SUMS`` (the format `sha256sum -c` reads)."""
        return f"{self.sha256}  {self.path.name}\n"


@dataclass(frozen=True)
class BuildResult:
    """What `build` made: the files, in ``SHA256SUMS`` order, and how."""

    outdir: Path
    artifacts: tuple[Artifact, ...]
    source_date_epoch: int
    installer: Installer
    removed: tuple[str, ...]
    dirty: bool = False

    @property
    def sums(self) -> Path:
        """The ``SHA256SUMS`` file next to the artifacts."""
        return self.outdir / SUMS


def build(
    root: Path,
    *,
    outdir: Path | None = None,
    clean: bool = False,
    installer: Installer | None = None,
) -> BuildResult:
    """Build the sdist, then the wheel from it, check both, and write ``SHA256SUMS``.

    Every check runs before `outdir` changes: a failed build leaves it as it was. Files
    already in `outdir` refuse the build unless `clean`, which removes them only after the
    new files have passed every check.
    """
    root = root.resolve()
    project = load_project(root)
    name = canonicalize_name(project.name)
    version = _expected_version(root, project)
    outdir = (root / "dist" if outdir is None else outdir).resolve()
    stale = _stale_entries(outdir)
    if stale and not clean:
        listing = ", ".join(repr(entry.name) for entry in stale[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        msg = (
            f"{str(outdir)!r} already holds {listing}{more}; the files we test must be the "
            f"files we upload, so pass --clean to remove them first"
        )
        raise BuildError(msg)
    epoch = source_date_epoch(root)
    if project.tag_source is None and version is not None:
        _check_release_tags(root, version, project.config.tag_prefix)
    chosen = installer or default_installer()
    with (
        tempfile.TemporaryDirectory(prefix="releasekit-build-") as tmp,
        _set_aside(stale, Path(tmp) / "old") as removed,
    ):
        staged = build_dists(root, Path(tmp) / "out", epoch=epoch, installer=chosen)
        artifacts = [inspect_artifact(path) for path in staged]
        check_artifacts(artifacts, name=name, version=version)
        twine_check(staged)
        outdir.mkdir(parents=True, exist_ok=True)
        placed = tuple(_place(artifact, outdir) for artifact in artifacts)
    write_sums(outdir, placed)
    return BuildResult(
        outdir=outdir,
        artifacts=placed,
        source_date_epoch=epoch,
        installer=chosen,
        removed=removed,
        dirty=work_tree_dirty(root),
    )


def default_installer() -> Installer:
    """``uv`` when uv is present (the `uv` package or a program on PATH), else ``pip``."""
    return "uv" if find_uv() is not None else "pip"


def find_uv() -> str | None:
    """The uv executable that build's uv installer would use, or None."""
    if importlib.util.find_spec("uv") is not None:
        with contextlib.suppress(FileNotFoundError):
            return str(importlib.import_module("uv").find_uv_bin())
    return shutil.which(os.environ.get("UV") or "uv")


def source_date_epoch(root: Path) -> int:
    """The HEAD commit's committer time, for reproducible archives.

    Outside a git repository (an unpacked sdist), ``SOURCE_DATE_EPOCH`` from the environment.
    """
    try:
        repo = git.Repo(root, search_parent_directories=True)
        return int(repo.git.log("-1", "--format=%ct"))
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        pass
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if value.isdigit():
        return int(value)
    msg = (
        f"{str(root)!r} is not in a git repository with a commit, so there is no commit time "
        f"for SOURCE_DATE_EPOCH; commit first, or set SOURCE_DATE_EPOCH to a Unix time"
    )
    raise BuildError(msg)


def work_tree_dirty(root: Path) -> bool:
    """Whether the work tree differs from HEAD (then the build is not HEAD's, byte for byte)."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
        return repo.is_dirty(untracked_files=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        return False


def release_tag_versions(root: Path, prefix: str) -> dict[str, Version]:
    """The release tags that point at HEAD, each with the version it names."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
        names = repo.git.tag("--points-at", "HEAD").split()
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        return {}
    found: dict[str, Version] = {}
    for tag in names:
        with contextlib.suppress(TagError):
            found[tag] = version_from_tag(tag, prefix=prefix)
    return found


def _expected_version(root: Path, project: Project) -> Version | None:
    """The version the files must carry: the places', or for a tag-derived version the
    release tag at HEAD. Between releases a tag-derived backend makes its own ``.devN``
    version (None here): both files must then carry the same one."""
    if project.tag_source is None:
        return project.version
    at_head = [
        tagged
        for tag, tagged in release_tag_versions(root, project.config.tag_prefix).items()
        if project.tag_source.matches(tag)
    ]
    if len(set(at_head)) > 1:
        shown = ", ".join(sorted(str(v) for v in at_head))
        msg = f"HEAD has release tags for several versions ({shown}); keep one tag per commit"
        raise BuildError(msg)
    return at_head[0] if at_head else None


def _check_release_tags(root: Path, version: Version, prefix: str) -> None:
    for tag, tagged in release_tag_versions(root, prefix).items():
        if tagged != version:
            msg = (
                f"HEAD is at release tag {tag!r} (version {str(tagged)!r}) but the project "
                f"version is {str(version)!r}; build from the commit the tag names, or fix the tag"
            )
            raise TagMismatchError(msg)


# --- building ---------------------------------------------------------------------------


def build_dists(source: Path, outdir: Path, *, epoch: int, installer: Installer) -> list[Path]:
    """Build an sdist of `source`, then a wheel from that sdist, into `outdir`.

    One isolated build environment serves both builds; the backend runs with
    ``SOURCE_DATE_EPOCH`` = `epoch`.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    runner = _runner(epoch)
    with (
        _build_errors(source),
        DefaultIsolatedEnv(installer=installer) as env,
        tempfile.TemporaryDirectory(prefix="releasekit-sdist-") as unpacked,
    ):
        builder = ProjectBuilder.from_isolated_env(env, source, runner=runner)
        env.install(builder.build_system_requires)
        env.install(builder.get_requires_for_build("sdist"))
        sdist = Path(builder.build("sdist", outdir))
        srcdir = unpack_sdist(sdist, Path(unpacked))
        from_sdist = ProjectBuilder.from_isolated_env(env, srcdir, runner=runner)
        env.install(from_sdist.get_requires_for_build("wheel"))
        wheel = Path(from_sdist.build("wheel", outdir))
    return [sdist, wheel]


def _runner(epoch: int) -> Callable[..., None]:
    def run(
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**os.environ, **(extra_environ or {}), "SOURCE_DATE_EPOCH": str(epoch)}
        subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)

    return run


@contextlib.contextmanager
def _build_errors(source: Path) -> Iterator[None]:
    try:
        yield
    except BuildBackendException as exc:
        msg = f"the build backend failed for {str(source)!r}{_output_tail(exc.exception)}"
        raise BuildError(msg) from None
    except subprocess.CalledProcessError as exc:
        # build's installers raise this when the backend cannot be installed
        msg = f"installing the build backend for {str(source)!r} failed{_output_tail(exc)}"
        raise BuildError(msg) from None
    except (BuildException, RuntimeError) as exc:
        msg = f"cannot build {str(source)!r}: {exc}"
        raise BuildError(msg) from None


def _output_tail(exc: BaseException) -> str:
    if not isinstance(exc, subprocess.CalledProcessError):
        return f": {exc}"
    text = b"\n".join(
        part if isinstance(part, bytes) else str(part).encode()
        for part in (exc.stdout, exc.stderr)
        if part
    ).decode("utf-8", "replace")
    lines = [line for line in text.splitlines() if line.strip()][-_TAIL:]
    return "".join(f"\n    {line}" for line in lines) if lines else f" (exit {exc.returncode})"


def unpack_sdist(sdist: Path, into: Path) -> Path:
    """Unpack `sdist` into `into` (refusing unsafe members); return its top directory."""
    with tarfile.open(sdist) as archive:
        members = archive.getmembers()
        tops = {Path(member.name).parts[0] for member in members if member.name}
        if len(tops) != 1:
            msg = f"sdist {sdist.name!r} must hold one top-level directory, found {sorted(tops)}"
            raise BuildError(msg)
        for member in members:
            if Path(member.name).is_absolute() or ".." in Path(member.name).parts:
                msg = f"sdist {sdist.name!r} holds an unsafe path {member.name!r}"
                raise BuildError(msg)
        archive.extractall(into, filter="data")
    return into / tops.pop()


# --- checking ---------------------------------------------------------------------------


def inspect_artifact(path: Path) -> Artifact:
    """Read what `path`'s file name and its metadata say; fail if they disagree."""
    kind, name, version = _parse_filename(path)
    metadata = _read_metadata(path, kind)
    meta_name = metadata.get("Name")
    meta_version = metadata.get("Version")
    if meta_name is None or canonicalize_name(meta_name) != name:
        msg = f"{path.name!r} is named for {name!r} but its metadata Name is {meta_name!r}"
        raise BuildError(msg)
    if meta_version is None or canonical_version(meta_version) != str(version):
        msg = (
            f"{path.name!r} is named for version {str(version)!r} but its metadata "
            f"Version is {meta_version!r}"
        )
        raise BuildError(msg)
    return Artifact(path=path, kind=kind, name=name, version=version, sha256=sha256_of(path))


def check_artifacts(artifacts: Sequence[Artifact], *, name: str, version: Version | None) -> None:
    """Fail unless there is one sdist and one wheel, both of project `name` at `version`
    (None: at one version, whichever the backend chose)."""
    if version is None and artifacts:
        version = artifacts[0].version
    kinds = sorted(artifact.kind for artifact in artifacts)
    if kinds != ["sdist", "wheel"]:
        msg = f"expected one sdist and one wheel, the build made {kinds}"
        raise BuildError(msg)
    for artifact in artifacts:
        if artifact.name != canonicalize_name(name):
            msg = f"{artifact.path.name!r} is named for {artifact.name!r}, not the project {name!r}"
            raise BuildError(msg)
        if artifact.version != version:  # PEP 440 equality: 2026.08.17 is 2026.8.17
            msg = (
                f"{artifact.path.name!r} has version {str(artifact.version)!r} but the project "
                f"version is {str(version)!r}; the build backend and the version places disagree"
            )
            raise BuildError(msg)


def twine_check(paths: Sequence[Path]) -> None:
    """Run ``twine check --strict`` on `paths` (the checks PyPI's upload makes)."""
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "TERM": "dumb"},
    )
    if result.returncode != 0:
        output = f"{result.stdout}\n{result.stderr}"
        lines = [line for line in output.splitlines() if line.strip()][-_TAIL:]
        detail = "".join(f"\n    {line}" for line in lines)
        msg = f"twine check --strict failed; fix the metadata it names, then build again{detail}"
        raise BuildError(msg)


def _parse_filename(path: Path) -> tuple[Kind, NormalizedName, Version]:
    try:
        if path.name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(path.name)
            return "wheel", name, version
        if path.name.endswith(".tar.gz"):
            name, version = parse_sdist_filename(path.name)
            return "sdist", name, version
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion) as exc:
        msg = f"{path.name!r} is not a valid distribution file name: {exc}"
        raise BuildError(msg) from None
    msg = f"{path.name!r} is neither a wheel (.whl) nor an sdist (.tar.gz)"
    raise BuildError(msg)


def _read_metadata(path: Path, kind: Kind) -> Mapping[str, str]:
    try:
        if kind == "wheel":
            with zipfile.ZipFile(path) as archive:
                names = [
                    n
                    for n in archive.namelist()
                    if re.fullmatch(r"[^/]+\.dist-info/METADATA", n) is not None
                ]
                raw = archive.read(names[0]) if len(names) == 1 else None
        else:
            with tarfile.open(path) as archive:
                members = [
                    m for m in archive.getmembers() if re.fullmatch(r"[^/]+/PKG-INFO", m.name)
                ]
                stream = archive.extractfile(members[0]) if len(members) == 1 else None
                raw = stream.read() if stream is not None else None
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        msg = f"cannot read {path.name!r}: {exc}"
        raise BuildError(msg) from None
    if raw is None:
        where = "*.dist-info/METADATA" if kind == "wheel" else "<top>/PKG-INFO"
        msg = f"{path.name!r} has no single {where} file"
        raise BuildError(msg)
    message = BytesParser().parsebytes(raw, headersonly=True)
    return {key: str(value) for key, value in message.items() if key in ("Name", "Version")}


def canonical_version(text: str) -> str:
    """`text` as a canonical PEP 440 version, or unchanged when it is not one."""
    try:
        return str(Version(text))
    except InvalidVersion:
        return text


# --- placing and the sums ---------------------------------------------------------------


def _stale_entries(outdir: Path) -> list[Path]:
    if not outdir.exists():
        return []
    if not outdir.is_dir():
        msg = f"output directory {str(outdir)!r} is a file; remove it or pass another --outdir"
        raise BuildError(msg)
    return sorted(outdir.iterdir())


@contextlib.contextmanager
def _set_aside(entries: Sequence[Path], aside: Path) -> Iterator[tuple[str, ...]]:
    # --clean: the old files leave the output directory before the build (a backend must not
    # pack them into the sdist) and come back if anything fails.
    aside.mkdir()
    moved: list[Path] = []
    try:
        for entry in entries:
            shutil.move(entry, aside / entry.name)
            moved.append(entry)
        yield tuple(entry.name for entry in entries)
    except BaseException:
        for entry in moved:
            shutil.move(aside / entry.name, entry)
        raise


def _place(artifact: Artifact, outdir: Path) -> Artifact:
    target = outdir / artifact.path.name
    shutil.move(artifact.path, target)
    return Artifact(
        path=target,
        kind=artifact.kind,
        name=artifact.name,
        version=artifact.version,
        sha256=artifact.sha256,
    )


def write_sums(outdir: Path, artifacts: Sequence[Artifact]) -> Path:
    """Write ``SHA256SUMS`` for `artifacts` (sdist first), in `sha256sum` format."""
    ordered = sorted(artifacts, key=lambda a: (a.kind != "sdist", a.path.name))
    path = outdir / SUMS
    path.write_text("".join(a.sums_line() for a in ordered), encoding="utf-8")
    return path


def read_sums(dist_dir: Path) -> list[tuple[str, str]]:
    """The (digest, file name) pairs in `dist_dir`/``SHA256SUMS``; fail on a bad line."""
    path = dist_dir / SUMS
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{str(path)!r} does not exist; run 'releasekit build' to make the files and sums"
        raise BuildError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read {str(path)!r}: {exc}"
        raise BuildError(msg) from None
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SUM_LINE.fullmatch(line)
        if match is None or match["name"] in (".", ".."):
            msg = f"{SUMS} line {number} is not '<sha256>  <file name>': {line!r}"
            raise BuildError(msg)
        pairs.append((match["digest"], match["name"]))
    names = [name for _, name in pairs]
    if not pairs or len(set(names)) != len(names):
        msg = f"{str(path)!r} must list each distribution file exactly once; build again"
        raise BuildError(msg)
    return pairs


def verify_dist(dist_dir: Path) -> list[Path]:
    """Re-check `dist_dir` against its ``SHA256SUMS``; return the files it lists, in order.

    Fails if a listed file is missing or changed, or if a distribution file that is not
    listed lies beside them (it would be uploaded untested).
    """
    dist_dir = dist_dir.resolve()
    pairs = read_sums(dist_dir)
    paths: list[Path] = []
    for digest, name in pairs:
        path = dist_dir / name
        if not path.is_file():
            msg = f"{name!r} is listed in {SUMS} but missing from {str(dist_dir)!r}; build again"
            raise BuildError(msg)
        actual = sha256_of(path)
        if actual != digest:
            msg = (
                f"{name!r} has SHA-256 {actual} but {SUMS} says {digest}; the file changed "
                f"after it was built and tested, so build again with --clean"
            )
            raise BuildError(msg)
        paths.append(path)
    listed = {name for _, name in pairs}
    extra = sorted(
        entry.name
        for entry in dist_dir.iterdir()
        if entry.name.endswith(ARTIFACT_SUFFIXES) and entry.name not in listed
    )
    if extra:
        msg = (
            f"{str(dist_dir)!r} holds {', '.join(map(repr, extra))}, which {SUMS} does not "
            f"list; remove it, or build again with --clean"
        )
        raise BuildError(msg)
    return paths
