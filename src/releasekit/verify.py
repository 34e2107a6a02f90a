"""`releasekit verify`: check what an index serves for a release against what was built.

After any publish — the release workflow's `pypa/gh-action-pypi-publish` job or a laptop's
`releasekit publish` — this reads the index back and fails unless:

1. every file of the version on the index is one `SHA256SUMS` lists, with that sha256
   (the bytes are downloaded and hashed, not only the index's claim), and every listed
   file is there;
2. where the index serves PEP 740 provenance (PyPI's Integrity API), every file has an
   attestation bundle whose Trusted Publisher is the expected repository and workflow
   (`--verify-signatures` also checks the Sigstore signatures with `pypi-attestations`);
3. the version installs from the index into a fresh venv and its modules import.

The publisher identity in a provenance object is the one PyPI itself checked against the
project's Trusted Publisher when the file was uploaded; reading it needs no cryptography.
Re-verifying the signatures offline of PyPI needs Sigstore, hence the optional
`pypi-attestations` (`pip install 'releasekit[attestations]'`).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from releasekit.errors import PublishError, VerifyError
from releasekit.files import sha256_of
from releasekit.publish import (
    DistFile,
    Target,
    _get,
    bound_session,
    install_back,
    resolve_target,
    within_deadline,
)
from releasekit.redaction import public_url
from releasekit.timeouts import limits

Say = Callable[[str], None]

_INTEGRITY_ACCEPT = "application/vnd.pypi.integrity.v1+json"
_POLL_SECONDS = 10.0


@dataclass(frozen=True)
class Publisher:
    """The Trusted Publisher a release must come from: a GitHub repository and workflow file."""

    repository: str
    workflow: str

    def __str__(self) -> str:
        return f"{self.workflow} on {self.repository}"


@dataclass(frozen=True)
class IndexFile:
    """One file the index lists: its name, download URL, claimed sha256 and provenance URL.

    `provenance` is None when the index says the file has none; `serves_provenance` tells
    whether the index speaks PEP 740 at all (a PEP 691 `provenance` key on the file).
    """

    name: str
    url: str
    sha256: str | None
    provenance: str | None
    serves_provenance: bool


@dataclass(frozen=True)
class Release:
    """What `SHA256SUMS` says was built: the project, its version and each file's sha256."""

    project: str
    version: str
    sums: dict[str, str]


@dataclass(frozen=True)
class Report:
    """What verify checked: the files and, per file, the publisher of its attestation."""

    target: Target
    release: Release
    publishers: dict[str, str | None]
    provenance_served: bool
    installed: bool


# ------------------------------------------------------------------- what was built


def read_release(sums_path: Path) -> Release:
    """The release a `SHA256SUMS` file (or the directory holding one) describes."""
    from releasekit.build import SUMS, read_sums  # noqa: PLC0415 - pulls in build machinery

    if not sums_path.is_dir():
        if sums_path.name != SUMS:
            msg = f"{str(sums_path)!r} is not a {SUMS} file; pass the one 'releasekit build' wrote"
            raise VerifyError(msg)
        sums_path = sums_path.parent
    pairs = read_sums(sums_path)
    releases = {_name_version(name) for _digest, name in pairs}
    if len(releases) != 1:
        listing = ", ".join(sorted(f"{n} {v}" for n, v in releases))
        msg = f"{str(sums_path / SUMS)!r} lists files of several releases ({listing}); keep one"
        raise VerifyError(msg)
    project, version = releases.pop()
    return Release(project, version, {name: digest for digest, name in pairs})


def _name_version(filename: str) -> tuple[str, str]:
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        msg = f"{filename!r} is not a wheel or sdist file name"
        raise VerifyError(msg) from None
    return str(canonicalize_name(name)), str(version)


# ------------------------------------------------------------------- what is served


def list_files(session: requests.Session, target: Target, project: str) -> list[IndexFile]:
    """Every file the index lists for `project` (PEP 691 JSON, else PEP 503 HTML)."""
    from releasekit.publish import _Links  # noqa: PLC0415 - the HTML link reader

    url = target.project_url(project)
    try:
        response = _get(session, url)
    except PublishError as exc:
        raise VerifyError(str(exc)) from None
    if response.status_code == 404:
        return []
    if response.status_code != 200:
        msg = (
            f"the index at {public_url(target.index_url)!r} answered HTTP {response.status_code} "
            f"for {project!r}; check --repository and --index-url"
        )
        raise VerifyError(msg)
    base = response.url or url
    if "json" not in response.headers.get("Content-Type", ""):
        parser = _Links()
        parser.feed(response.text)
        return [_html_file(name, href, base) for name, href in parser.links]
    try:
        return [_json_file(entry, base) for entry in json.loads(response.text)["files"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        msg = f"the index page {public_url(url)!r} is not valid PEP 691 JSON"
        raise VerifyError(msg) from None


def _json_file(entry: Mapping[str, object], base: str) -> IndexFile:
    hashes = entry.get("hashes")
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    provenance = entry.get("provenance")
    return IndexFile(
        name=str(entry["filename"]),
        url=urljoin(base, str(entry["url"])),
        sha256=str(sha256).lower() if sha256 else None,
        provenance=urljoin(base, provenance) if isinstance(provenance, str) else None,
        serves_provenance="provenance" in entry,  # PEP 740: present, null when none
    )


def _html_file(name: str, href: str, base: str) -> IndexFile:
    url, _, fragment = href.partition("#")
    algo, _, value = fragment.partition("=")
    return IndexFile(
        name=name,
        url=urljoin(base, url),
        sha256=value.lower() if algo == "sha256" and value else None,
        provenance=None,
        serves_provenance=False,
    )


def download_sha256(session: requests.Session, file: IndexFile, into: Path) -> Path:
    """Download `file` into the directory `into` (within the index deadline); return its path."""
    return within_deadline(file.url, "a file back", lambda: _download(session, file, into))


def _download(session: requests.Session, file: IndexFile, into: Path) -> Path:
    path = into / file.name
    try:
        with session.get(file.url, stream=True) as response:
            if response.status_code != 200:
                msg = (
                    f"downloading {file.name!r} from {public_url(file.url)!r} answered HTTP "
                    f"{response.status_code}"
                )
                raise VerifyError(msg)
            with path.open("wb") as stream:
                for block in response.iter_content(1 << 16):
                    stream.write(block)
    except requests.RequestException as exc:
        host = urlsplit(file.url).netloc.rpartition("@")[2]
        msg = f"downloading {file.name!r} from {host!r} failed ({type(exc).__name__}); try again"
        raise VerifyError(msg) from None
    return path


# ------------------------------------------------------------------------ the checks


def check_files(release: Release, served: Sequence[IndexFile]) -> list[IndexFile]:
    """The index's files of this version, checked by name against `SHA256SUMS` both ways."""
    mine = [f for f in served if _version_of(f.name) == (release.project, release.version)]
    names = {f.name for f in mine}
    missing = sorted(set(release.sums) - names)
    if missing:
        msg = (
            f"{', '.join(map(repr, missing))} of {release.project} {release.version} "
            f"{'is' if len(missing) == 1 else 'are'} not on the index; the upload is "
            f"incomplete — publish again (files already there are skipped)"
        )
        raise VerifyError(msg)
    foreign = sorted(names - set(release.sums))
    if foreign:
        msg = (
            f"the index serves {', '.join(map(repr, foreign))} for {release.project} "
            f"{release.version}, which SHA256SUMS does not list: someone uploaded files this "
            f"build did not make; yank the release and investigate"
        )
        raise VerifyError(msg)
    for file in mine:
        expected = release.sums[file.name]
        if file.sha256 is not None and file.sha256 != expected:
            raise VerifyError(_mismatch(file.name, file.sha256, expected, "the index lists"))
    return mine


def _version_of(filename: str) -> tuple[str, str] | None:
    try:
        return _name_version(filename)
    except VerifyError:
        return None


def _mismatch(name: str, theirs: str, ours: str, how: str) -> str:
    return (
        f"{name!r}: {how} sha256 {theirs[:12]}…, but SHA256SUMS says {ours[:12]}…; "
        f"these are not the files that were built and tested — do not use this release"
    )


def expected_publisher(
    repository: str | None, workflow: str | None, environ: Mapping[str, str]
) -> Publisher | None:
    """The publisher to require: the flags, else this GitHub Actions run's repository and workflow.

    >>> expected_publisher(None, None, {"GITHUB_ACTIONS": "true",
    ...     "GITHUB_REPOSITORY": "octo/proj",
    ...     "GITHUB_WORKFLOW_REF": "octo/proj/.github/workflows/release.yml@refs/tags/v1.0"})
    Publisher(repository='octo/proj', workflow='release.yml')
    >>> expected_publisher(None, None, {}) is None
    True
    """
    in_actions = environ.get("GITHUB_ACTIONS") == "true"
    if in_actions:
        repository = repository or environ.get("GITHUB_REPOSITORY") or None
        ref = environ.get("GITHUB_WORKFLOW_REF", "")
        workflow = workflow or ref.partition("@")[0].rpartition("/")[2] or None
    if repository is None and workflow is None:
        return None
    if not repository or repository.count("/") != 1 or not all(repository.split("/")):
        msg = f"--publisher-repository {repository!r} is not OWNER/NAME; pass e.g. 'octo/proj'"
        raise VerifyError(msg)
    if not workflow or "/" in workflow or not workflow.endswith((".yml", ".yaml")):
        msg = (
            f"--publisher-workflow {workflow!r} is not a workflow file name; pass e.g. "
            f"'release.yml'"
        )
        raise VerifyError(msg)
    return Publisher(repository, workflow)


def fetch_provenance(session: requests.Session, file: IndexFile) -> bytes | None:
    """The PEP 740 provenance object of `file` from the Integrity API, or None if it has none."""
    if file.provenance is None:
        return None
    url = file.provenance
    try:
        response = within_deadline(
            url,
            "its provenance",
            lambda: session.get(url, headers={"Accept": _INTEGRITY_ACCEPT}),
        )
    except requests.RequestException as exc:
        msg = f"the Integrity API did not answer for {file.name!r} ({type(exc).__name__})"
        raise VerifyError(msg) from None
    if response.status_code == 404:
        return None  # PyPI: {"message": "No provenance available for <file>"}
    if response.status_code != 200:
        msg = (
            f"the Integrity API answered HTTP {response.status_code} for {file.name!r} "
            f"({public_url(file.provenance)}); try again later"
        )
        raise VerifyError(msg)
    return response.content


def publishers_of(name: str, provenance: bytes) -> list[dict[str, str]]:
    """The publisher objects of every attestation bundle in a provenance object."""
    msg = f"the provenance of {name!r} is not a PEP 740 provenance object"
    try:
        bundles = json.loads(provenance)["attestation_bundles"]
        pairs = [(bundle["publisher"], bundle["attestations"]) for bundle in bundles]
    except (ValueError, KeyError, TypeError):
        raise VerifyError(msg) from None
    if not pairs or not all(isinstance(p, dict) and a for p, a in pairs):
        raise VerifyError(msg)
    return [{str(k): str(v) for k, v in p.items() if v is not None} for p, _ in pairs]


def describe_publisher(publisher: Mapping[str, str]) -> str:
    """'release.yml on octo/proj (GitHub)' for people."""
    kind = publisher.get("kind", "?")
    if "repository" in publisher:
        workflow = publisher.get("workflow") or publisher.get("workflow_filepath", "?")
        return f"{workflow} on {publisher['repository']} ({kind})"
    return f"{kind} publisher {json.dumps(dict(publisher), sort_keys=True)}"


def check_publisher(name: str, publishers: Sequence[Mapping[str, str]], expected: Publisher) -> int:
    """The index of the bundle that `expected` published; fail naming who did instead."""
    for number, publisher in enumerate(publishers):
        if (
            publisher.get("kind") == "GitHub"
            and publisher.get("repository", "").lower() == expected.repository.lower()
            and publisher.get("workflow") == expected.workflow
        ):
            return number
    others = "; ".join(describe_publisher(p) for p in publishers)
    msg = (
        f"{name!r} was attested by {others}, not by {expected}: the file on the index was "
        f"not published by this repository's workflow — yank the release and investigate"
    )
    raise VerifyError(msg)


def verify_signatures(name: str, digest: str, provenance: bytes, bundle: int) -> None:
    """Check the Sigstore signatures of one bundle with `pypi-attestations` (optional)."""
    try:
        from pydantic import ValidationError  # noqa: PLC0415 - optional dependency
        from pypi_attestations import (  # noqa: PLC0415 - optional dependency
            AttestationError,
            Distribution,
            Provenance,
        )
    except ImportError:
        msg = (
            "--verify-signatures needs pypi-attestations, which is not installed; run "
            "\"python -m pip install 'releasekit[attestations]'\""
        )
        raise VerifyError(msg) from None
    try:
        model = Provenance.model_validate_json(provenance)
        dist = Distribution(name=name, digest=digest)
    except ValidationError:
        msg = f"the provenance of {name!r} does not parse as a pypi-attestations Provenance"
        raise VerifyError(msg) from None
    chosen = model.attestation_bundles[bundle]
    try:
        for attestation in chosen.attestations:
            attestation.to_bundle()  # a malformed certificate fails here, before any network
        for attestation in chosen.attestations:
            attestation.verify(chosen.publisher, dist)
    except AttestationError as exc:
        detail = " ".join(str(exc).split())[:200]
        msg = f"the attestation of {name!r} does not verify: {detail}"
        raise VerifyError(msg) from None
    except Exception as exc:  # sigstore's trust-root refresh: network or TUF errors
        msg = f"could not verify the attestation of {name!r} ({type(exc).__name__}); try again"
        raise VerifyError(msg) from None


# ----------------------------------------------------------------------------- whole


def serves_provenance(target: Target, files: Sequence[IndexFile]) -> bool:
    """PyPI and TestPyPI always do; another index does when its JSON carries the PEP 740 key."""
    return target.repository in {"pypi", "testpypi"} or any(f.serves_provenance for f in files)


def integrity_url(target: Target, release: Release, name: str) -> str:
    """PyPI's Integrity API URL for one file (when the JSON page gave none)."""
    parts = urlsplit(target.index_url)
    base = f"{parts.scheme}://{parts.netloc}/"
    return urljoin(
        base, f"integrity/{release.project}/{quote(release.version)}/{quote(name)}/provenance"
    )


def wait_for_files(
    session: requests.Session,
    target: Target,
    release: Release,
    *,
    wait: float,
    say: Say,
) -> list[IndexFile]:
    """List the project's files; poll up to `wait` seconds until every built file is there."""
    deadline = time.monotonic() + wait
    while True:
        served = list_files(session, target, release.project)
        names = {f.name for f in served}
        if set(release.sums) <= names or time.monotonic() >= deadline:
            return served
        say(
            f"the index lists {len(names & set(release.sums))}/{len(release.sums)} files yet; "
            f"waiting"
        )
        time.sleep(min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def verify(
    release: Release,
    target: Target,
    *,
    publisher: Publisher | None,
    say: Say,
    signatures: bool = False,
    install_check: bool = True,
    wait: float = 0.0,
) -> Report:
    """Check hashes, provenance and (unless told not to) install-back; see the module doc."""
    say(
        f"verifying {release.project} {release.version} on {target.repository} "
        f"(index {public_url(target.index_url)}) against SHA256SUMS ({len(release.sums)} files)"
    )
    publishers: dict[str, str | None] = {}
    with (
        bound_session(requests.Session(), limits()) as session,
        tempfile.TemporaryDirectory(prefix="rk-verify-") as tmp,
    ):
        served = wait_for_files(session, target, release, wait=wait, say=say)
        mine = check_files(release, served)
        downloaded: list[DistFile] = []
        for file in mine:
            path = download_sha256(session, file, Path(tmp))
            actual = sha256_of(path)
            if actual != release.sums[file.name]:
                raise VerifyError(
                    _mismatch(file.name, actual, release.sums[file.name], "the index serves")
                )
            say(f"sha256 ok: {file.name} (the index serves the bytes SHA256SUMS lists)")
            downloaded.append(DistFile(path, actual, release.project, release.version))
        provenance_served = serves_provenance(target, served)
        if provenance_served:
            for file in mine:
                publishers[file.name] = _check_provenance(
                    session,
                    target,
                    release,
                    file,
                    publisher=publisher,
                    signatures=signatures,
                    say=say,
                )
        else:
            say(
                f"provenance: the index at {public_url(target.index_url)} serves no PEP 740 "
                f"provenance; not checked"
            )
            if signatures:
                msg = "--verify-signatures was given but this index serves no PEP 740 provenance"
                raise VerifyError(msg)
        if install_check:
            try:
                install_back(target, downloaded, say=say)
            except PublishError as exc:
                raise VerifyError(str(exc)) from None
    say(f"verified {release.project} {release.version}: every check passed")
    return Report(target, release, publishers, provenance_served, install_check)


def _check_provenance(
    session: requests.Session,
    target: Target,
    release: Release,
    file: IndexFile,
    *,
    publisher: Publisher | None,
    signatures: bool,
    say: Say,
) -> str | None:
    if not file.serves_provenance and file.provenance is None:
        file = IndexFile(
            file.name, file.url, file.sha256, integrity_url(target, release, file.name), True
        )
    provenance = fetch_provenance(session, file)
    if provenance is None:
        if publisher is not None:
            msg = (
                f"{file.name!r} has no attestation on the index, but it should have been "
                f"published by {publisher} with attestations on; check the publish job "
                f"(pypa/gh-action-pypi-publish, attestations not disabled)"
            )
            raise VerifyError(msg)
        say(f"provenance: {file.name} has none (uploaded without attestations, e.g. by hand)")
        return None
    found = publishers_of(file.name, provenance)
    bundle = 0
    if publisher is not None:
        bundle = check_publisher(file.name, found, publisher)
    described = describe_publisher(found[bundle])
    if signatures:
        verify_signatures(file.name, release.sums[file.name], provenance, bundle)
        say(f"provenance ok: {file.name} attested by {described}, signatures verified")
    else:
        say(f"provenance ok: {file.name} attested by {described}")
    return described


def run(
    *,
    repository: str | None,
    index_url: str | None,
    sums: Path,
    environ: Mapping[str, str],
    say: Say,
    publisher_repository: str | None = None,
    publisher_workflow: str | None = None,
    signatures: bool = False,
    install_check: bool = True,
    wait: float = 0.0,
) -> Report:
    """`releasekit verify`: resolve the index and the expected publisher, then verify."""
    if repository == "local":
        msg = (
            "the embedded local index stops when publish ends; pass the URL of the index "
            "you published to (--repository URL)"
        )
        raise VerifyError(msg)
    if wait < 0:
        msg = f"--wait {wait!r} is negative; pass a number of seconds (e.g. 300)"
        raise VerifyError(msg)
    release = read_release(sums)
    try:
        target = resolve_target(repository, index_url=index_url, environ=environ)
    except PublishError as exc:
        raise VerifyError(str(exc)) from None
    expected = expected_publisher(publisher_repository, publisher_workflow, environ)
    if expected is not None:
        say(f"expected publisher: {expected}")
    return verify(
        release,
        target,
        publisher=expected,
        say=say,
        signatures=signatures,
        install_check=install_check,
        wait=wait,
    )
