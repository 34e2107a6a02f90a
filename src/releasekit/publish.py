"""Publishing the checked files in `dist/`: plan against the index, upload what is missing.

The plan: hash our files, ask the index which of them it already has (PEP 691 JSON or
PEP 503 HTML simple API), and decide per file: identical there → skip and say so; same
name with another hash → stop before uploading anything (never overwrite, never skip
blindly); absent → upload with twine. A publish that died half-way therefore finishes on
re-run. After uploading, every file is downloaded back from the index and its sha256
compared with the one we checked: the files tested are the files published.
"""

from __future__ import annotations

import contextlib
import hashlib
import html.parser
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urldefrag, urljoin, urlsplit

import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from requests.adapters import HTTPAdapter

from releasekit.config import find_root
from releasekit.credentials import Credential, RepositoryName, in_github_actions, token_warning
from releasekit.errors import ConfigError, PublishError, TagError, command
from releasekit.files import sha256_of
from releasekit.redaction import clip, public_url, scrub, without_credentials
from releasekit.timeouts import VARIABLES, Limits, limits

Say = Callable[[str], None]
Action = Literal["upload", "skip"]

PYPI_UPLOAD = "https://upload.pypi.org/legacy/"
PYPI_INDEX = "https://pypi.org/simple/"
TESTPYPI_UPLOAD = "https://test.pypi.org/legacy/"
TESTPYPI_INDEX = "https://test.pypi.org/simple/"
_SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """Where files go (`upload_url`) and where they are read back from (`index_url`)."""

    repository: RepositoryName
    upload_url: str
    index_url: str

    def project_url(self, project: str) -> str:
        """The simple-index page of one project."""
        return f"{self.index_url.rstrip('/')}/{canonicalize_name(project)}/"


@dataclass(frozen=True)
class DistFile:
    """One checked distribution file and its sha256."""

    path: Path
    sha256: str
    project: str
    version: str

    @property
    def name(self) -> str:
        """The file name, as the index knows it."""
        return self.path.name


@dataclass(frozen=True)
class Step:
    """What the plan does with one file, and why."""

    file: DistFile
    action: Action
    reason: str

    def describe(self, *, dry_run: bool) -> str:
        """One line for people: 'would upload …' / 'uploading …' / 'skipping …'."""
        if self.action == "skip":
            return f"skipping {self.file.name}: {self.reason}"
        verb = "would upload" if dry_run else "uploading"
        return f"{verb} {self.file.name} (sha256 {self.file.sha256[:12]}…)"


@dataclass(frozen=True)
class Retry:
    """How often and how patiently to retry 5xx answers and connection errors."""

    attempts: int = 4
    backoff: float = 1.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(self.backoff * 2 ** (attempt - 1))


# ---------------------------------------------------------------------------- targets


def resolve_target(
    repository: str | None, *, index_url: str | None, environ: Mapping[str, str]
) -> Target:
    """Map `--repository` (twine's vocabulary, or `TWINE_REPOSITORY_URL`) to a Target.

    `local` is resolved by the caller, which starts the embedded index.
    """
    chosen = repository or environ.get("TWINE_REPOSITORY_URL", "")
    if not chosen:
        msg = "no repository given; pass --repository testpypi, pypi, local or an upload URL"
        raise PublishError(msg)
    if chosen == "pypi":
        return Target("pypi", PYPI_UPLOAD, index_url or PYPI_INDEX)
    if chosen == "testpypi":
        return Target("testpypi", TESTPYPI_UPLOAD, index_url or TESTPYPI_INDEX)
    parts = urlsplit(chosen)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        msg = (
            f"repository {chosen!r} is neither testpypi, pypi, local nor an http(s) upload "
            f"URL; pass one of those"
        )
        raise PublishError(msg)
    upload = chosen if chosen.endswith("/") else f"{chosen}/"
    if upload.rstrip("/") == PYPI_UPLOAD.rstrip("/"):
        return Target("pypi", PYPI_UPLOAD, index_url or PYPI_INDEX)
    if upload.rstrip("/") == TESTPYPI_UPLOAD.rstrip("/"):
        return Target("testpypi", TESTPYPI_UPLOAD, index_url or TESTPYPI_INDEX)
    return Target("url", upload, index_url or derive_index_url(upload))


def derive_index_url(upload_url: str) -> str:
    """Guess the simple index of an upload URL: `…/legacy/` → `…/simple/`, else `…/simple/`.

    >>> derive_index_url("https://pypi.example/legacy/")
    'https://pypi.example/simple/'
    >>> derive_index_url("http://127.0.0.1:8080/")
    'http://127.0.0.1:8080/simple/'
    """
    base = upload_url.rstrip("/")
    if base.endswith("/legacy"):
        base = base.removesuffix("/legacy")
    return f"{base}/simple/"


# ------------------------------------------------------------------------------ files


def collect_dist(dist_dir: Path, *, expected_version: str | None = None) -> list[DistFile]:
    """The checked wheel and sdist files in `dist_dir`, all of one project and version.

    `releasekit.build.verify_dist` re-checks every file against the `SHA256SUMS` written
    when it was built and tested; an unlisted or changed file stops the publish.
    """
    from releasekit.build import verify_dist  # noqa: PLC0415 - pulls in build machinery

    if not dist_dir.is_dir():
        msg = f"{str(dist_dir)!r} does not exist; build first (nox -s build)"
        raise PublishError(msg)
    paths = [p for p in verify_dist(dist_dir) if p.name.endswith((".whl", ".tar.gz"))]
    if not paths:
        msg = f"no wheel or sdist in {str(dist_dir)!r}; build first (nox -s build)"
        raise PublishError(msg)
    files = [_dist_file(path) for path in paths]
    releases = {(canonicalize_name(f.project), f.version) for f in files}
    if len(releases) != 1:
        listing = ", ".join(sorted(f"{name} {version}" for name, version in releases))
        msg = f"{str(dist_dir)!r} holds files of several releases ({listing}); keep only one"
        raise PublishError(msg)
    version = files[0].version
    if expected_version is not None and version != expected_version:
        msg = (
            f"the files in {str(dist_dir)!r} are version {version!r} but the project is "
            f"{expected_version!r}; rebuild (nox -s build) before publishing"
        )
        raise PublishError(msg)
    return files


def _dist_file(path: Path) -> DistFile:
    try:
        if path.name.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(path.name)
        else:
            name, version = parse_sdist_filename(path.name)
    except (InvalidWheelFilename, InvalidSdistFilename):
        msg = f"{path.name!r} is not a valid wheel or sdist file name; rebuild it"
        raise PublishError(msg) from None
    return DistFile(path=path, sha256=sha256_of(path), project=name, version=str(version))


# ------------------------------------------------------------------------------ index


def index_files(session: requests.Session, target: Target, project: str) -> dict[str, str | None]:
    """File name → sha256 (or None when the index gives none) of `project` on the index.

    Speaks PEP 691 JSON when the index offers it, else reads PEP 503 HTML. A project the
    index does not know yields an empty mapping.
    """
    url = target.project_url(project)
    response = _get(session, url)
    if response.status_code == 404:
        return {}
    if response.status_code != 200:
        msg = (
            f"the index at {public_url(target.index_url)!r} answered HTTP {response.status_code} "
            f"for {project!r}; check --index-url"
        )
        raise PublishError(msg)
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type:
        return _files_from_json(response.text, url)
    return _files_from_html(response.text, response.url or url)


def file_urls(session: requests.Session, target: Target, project: str) -> dict[str, str]:
    """File name → download URL of `project`'s files on the index."""
    url = target.project_url(project)
    response = _get(session, url)
    if response.status_code != 200:
        return {}
    if "json" in response.headers.get("Content-Type", ""):
        try:
            data = json.loads(response.text)
            return {f["filename"]: urljoin(response.url, f["url"]) for f in data.get("files", [])}
        except (ValueError, KeyError, TypeError, AttributeError):
            msg = f"the index page {public_url(url)!r} is not valid PEP 691 JSON"
            raise PublishError(msg) from None
    parser = _Links()
    parser.feed(response.text)
    return {name: urljoin(response.url, urldefrag(href)[0]) for name, href in parser.links}


def _get(session: requests.Session, url: str) -> requests.Response:
    return within_deadline(url, "its index page", lambda: _get_page(session, url))


def _get_page(session: requests.Session, url: str) -> requests.Response:
    try:
        response = session.get(url, headers={"Accept": _SIMPLE_ACCEPT}, allow_redirects=False)
        hops = 0
        while response.is_redirect and hops < 3:
            location = urljoin(url, response.headers["Location"])
            if urlsplit(location).netloc != urlsplit(url).netloc:
                # pypiserver sends unknown projects to pypi.org; those files are not ours.
                response.status_code = 404
                return response
            response = session.get(
                location, headers={"Accept": _SIMPLE_ACCEPT}, allow_redirects=False
            )
            hops += 1
        _ = response.content  # the whole body, inside the deadline
    except requests.RequestException as exc:
        raise PublishError(_unreachable(url, exc)) from None
    return response


def within_deadline(url: str, what: str, call: Callable[[], T]) -> T:
    """Run `call` (an index read) and give up after the total index deadline.

    requests' timeouts are per read: a server that trickles a byte at a time never trips
    them. The read runs in a daemon thread; when the deadline passes, the user gets one
    line and the thread is left to die with the process.
    """
    deadline = limits().index_deadline
    box: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            box.append((True, call()))
        except BaseException as exc:
            box.append((False, exc))

    thread = threading.Thread(target=run, name="releasekit-index-read", daemon=True)
    thread.start()
    thread.join(deadline)
    if not box:
        host = urlsplit(url).netloc.rpartition("@")[2]
        msg = (
            f"the index {host!r} did not finish sending {what} within {deadline:g}s "
            f"({VARIABLES['index_deadline']}); check the URL and your connection, or "
            f"raise the limit"
        )
        raise PublishError(msg)
    ok, value = box[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _files_from_json(text: str, url: str) -> dict[str, str | None]:
    try:
        data = json.loads(text)
        return {f["filename"]: (f.get("hashes") or {}).get("sha256") for f in data.get("files", [])}
    except (ValueError, KeyError, TypeError, AttributeError):
        msg = f"the index page {public_url(url)!r} is not valid PEP 691 JSON"
        raise PublishError(msg) from None


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            name = "".join(self._text).strip() or urlsplit(self._href).path.rsplit("/", 1)[-1]
            self.links.append((name, self._href))
            self._href = None


def _files_from_html(text: str, url: str) -> dict[str, str | None]:
    parser = _Links()
    parser.feed(text)
    files: dict[str, str | None] = {}
    for name, href in parser.links:
        fragment = urldefrag(href)[1]
        algo, _, value = fragment.partition("=")
        files[name] = value.lower() if algo == "sha256" and value else None
    return files


def download_sha256(session: requests.Session, url: str) -> str:
    """Download a file from the index and return the sha256 of the bytes received."""
    return within_deadline(url, "a file back", lambda: _download_sha256(session, url))


def _download_sha256(session: requests.Session, url: str) -> str:
    digest = hashlib.sha256()
    try:
        with session.get(url, stream=True) as response:
            if response.status_code != 200:
                msg = f"downloading {public_url(url)!r} back answered HTTP {response.status_code}"
                raise PublishError(msg)
            for block in response.iter_content(1 << 16):
                digest.update(block)
    except requests.RequestException as exc:
        raise PublishError(_unreachable(url, exc)) from None
    return digest.hexdigest()


# ------------------------------------------------------------------------------- plan


def plan(
    files: Sequence[DistFile], present: Mapping[str, str | None], remote_hash: Callable[[str], str]
) -> list[Step]:
    """Decide per file: upload, or skip because the index has the identical file.

    `remote_hash(name)` downloads a file the index lists without a sha256. A file the index
    has with other content stops everything: nothing is uploaded.
    """
    steps: list[Step] = []
    for file in files:
        if file.name not in present:
            steps.append(Step(file, "upload", "not on the index"))
            continue
        theirs = present[file.name] or remote_hash(file.name)
        if theirs != file.sha256:
            msg = (
                f"{file.name!r} is already on the index with different content (sha256 "
                f"{theirs[:12]}…, ours {file.sha256[:12]}…); an index never lets a file be "
                f"replaced — bump the version and build again"
            )
            raise PublishError(msg)
        steps.append(Step(file, "skip", "already on the index, identical sha256"))
    return steps


# ------------------------------------------------------------------------------ apply


def upload_all(
    steps: Sequence[Step],
    target: Target,
    credential: Credential,
    *,
    say: Say,
    retry: Retry,
    verbose: bool = False,
    on_index: Callable[[str], str | None] | None = None,
) -> list[DistFile]:
    """Upload every `upload` step with twine, one file at a time; return what was uploaded.

    `on_index(name)` reads the sha256 the index now has for a file (None: not there); it
    tells an upload stored by an earlier, unacknowledged attempt from a real conflict.
    """
    from twine.package import PackageFile  # noqa: PLC0415 - slow import, only when uploading
    from twine.repository import Repository  # noqa: PLC0415

    repository = Repository(
        target.upload_url, credential.username, credential.password, disable_progress_bar=True
    )
    bound_session(repository.session, limits())  # twine posts without any timeout
    if not verbose:
        # twine logs each 5xx it sees; our own retry lines already say it, once.
        logging.getLogger("twine").setLevel(logging.ERROR)
    uploaded: list[DistFile] = []
    try:
        for step in steps:
            say(step.describe(dry_run=False))
            if step.action == "skip":
                continue
            package = _package(PackageFile, step.file)
            _upload_one(
                repository,
                package,
                step.file,
                target=target,
                credential=credential,
                say=say,
                retry=retry,
                verbose=verbose,
                on_index=on_index,
            )
            uploaded.append(step.file)
    finally:
        repository.close()
    return uploaded


def _package(factory: type, file: DistFile) -> object:
    from twine.exceptions import InvalidDistribution  # noqa: PLC0415

    try:
        package = factory.from_filename(str(file.path), None)  # type: ignore[attr-defined]
    except InvalidDistribution as exc:
        msg = f"{file.name!r} cannot be uploaded: {exc}"
        raise PublishError(msg) from None
    if package.sha2_digest != file.sha256:
        msg = f"{file.name!r} changed while publishing (sha256 differs); build and test again"
        raise PublishError(msg)
    return package


def _upload_one(
    repository: object,
    package: object,
    file: DistFile,
    *,
    target: Target,
    credential: Credential,
    say: Say,
    retry: Retry,
    verbose: bool,
    on_index: Callable[[str], str | None] | None = None,
) -> None:
    last = ""
    for attempt in range(1, retry.attempts + 1):
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # twine's own "Uploading …" line
                response = repository.upload(package, max_redirects=1)  # type: ignore[attr-defined]
        except requests.RequestException as exc:
            last = _unreachable(target.upload_url, exc)
        else:
            status = response.status_code
            if verbose:
                say(f"  index answered HTTP {status} {_reason(response, credential)}")
            if response.is_redirect:
                msg = (
                    f"the index redirected the upload of {file.name!r}; check the repository "
                    f"URL {public_url(target.upload_url)!r} (for PyPI use --repository pypi)"
                )
                raise PublishError(msg)
            if 200 <= status < 300:
                return
            if status < 500:
                # An earlier attempt may have been stored but never acknowledged.
                if (
                    _already_there(status, response)
                    and on_index is not None
                    and on_index(file.name) == file.sha256
                ):
                    say(
                        f"  {file.name} is already on the index with the identical sha256 "
                        f"(an earlier attempt stored it); carrying on"
                    )
                    return
                raise PublishError(explain_refusal(status, response, file, target, credential))
            last = (
                f"the index answered HTTP {status} (a server error) {_reason(response, credential)}"
            ).rstrip()
        if attempt < retry.attempts:
            delay = retry.delay(attempt)
            say(f"  {last}; retrying in {delay:g}s ({attempt}/{retry.attempts - 1})")
            time.sleep(delay)
    msg = (
        f"uploading {file.name!r} failed {retry.attempts} times ({last}); run the same "
        f"publish again later: files already on the index are skipped"
    )
    raise PublishError(msg)


def _reason(response: requests.Response, credential: Credential) -> str:
    # Scrubbed whole, then cut: a secret across the cut must not leave its head behind.
    text = _plain(scrub(response.text))
    reason = scrub(response.reason or "")
    both = f"{reason}: {text}" if text and text not in reason else reason
    return clip(both, 300)


def _plain(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def explain_refusal(
    status: int, response: requests.Response, file: DistFile, target: Target, credential: Credential
) -> str:
    """One message saying what a user must do about a 4xx answer to an upload."""
    said = scrub(f"{response.reason or ''} {_plain(response.text)}")
    lowered = said.lower()
    source = credential.source
    token_page = _token_page(target)
    if "invalid-publisher" in lowered or "trusted publish" in lowered:
        return (
            f"Trusted Publishing is not configured for {file.project!r} on this index "
            f"(invalid-publisher): add a trusted publisher naming this repository, workflow "
            f"and environment, or check them with 'releasekit doctor'"
        )
    if status in {401, 403} and ("not allowed" in lowered or "isn't allowed" in lowered):
        return (
            f"the credential from {source} is not allowed to upload to project "
            f"{file.project!r}; make a token scoped to that project at {token_page}"
        )
    if status in {401, 403}:
        return (
            f"the index refused the credential from {source} (HTTP {status}): it is invalid "
            f"or expired; make a new API token at {token_page} with scope "
            f"'Project: {file.project}' (or 'Entire account' for a first upload)"
        )
    if _already_there(status, response):
        return (
            f"{file.name!r} already exists on the index (HTTP {status}); files can never be "
            f"replaced — if it was deleted or differs, bump the version and build again"
        )
    if status == 400:
        return f"the index rejected {file.name!r} (HTTP 400): {clip(said.strip(), 300)}"
    return f"the index refused {file.name!r} (HTTP {status}): {clip(said.strip(), 300)}"


def _already_there(status: int, response: requests.Response) -> bool:
    """Whether a 4xx answer says the file is already on the index."""
    said = f"{response.reason or ''} {response.text}".lower()
    return status == 409 or (status == 400 and ("already exist" in said or "exists" in said))


def _token_page(target: Target) -> str:
    if target.repository == "testpypi":
        return "https://test.pypi.org/manage/account/token/"
    if target.repository == "pypi":
        return "https://pypi.org/manage/account/token/"
    return "your index"


def _unreachable(url: str, exc: requests.RequestException) -> str:
    host = urlsplit(url).netloc.rpartition("@")[2]
    if isinstance(exc, requests.exceptions.RetryError):
        # urllib3 retried answers like 500 or 503 until it gave up: a server error.
        status = re.search(r"too many (\d{3}) error", str(exc))
        code = f"HTTP {status.group(1)}" if status else "HTTP 5xx"
        return (
            f"the index {host!r} answered {code} (a server error) to every try; "
            f"the index is having trouble, try again later"
        )
    if isinstance(exc, requests.ConnectTimeout):
        seconds, name = limits().connect, VARIABLES["connect"]
        return (
            f"the index {host!r} did not accept a connection within {seconds:g}s ({name}); "
            f"check the URL and your connection"
        )
    if isinstance(exc, requests.Timeout):
        seconds, name = limits().read, VARIABLES["read"]
        return (
            f"the index {host!r} stopped answering for {seconds:g}s ({name}); "
            f"check the URL and your connection, or raise the limit"
        )
    return (
        f"the network or index {host!r} is unreachable ({type(exc).__name__}); "
        f"check the URL and your connection"
    )


class _BoundedAdapter(HTTPAdapter):
    """requests' adapter, with a connect and a read timeout for calls that give none."""

    def __init__(self, timeout: tuple[float, float], max_retries: Any) -> None:  # noqa: ANN401
        super().__init__(max_retries=max_retries)
        self.timeout = timeout

    def send(  # noqa: PLR0917 - requests' signature
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send `request`, with the default timeouts when it has none."""
        chosen = self.timeout if timeout is None else timeout
        return super().send(request, stream, chosen, verify, cert, proxies)


def bound_session(session: requests.Session, bounds: Limits) -> requests.Session:
    """Give every request of `session` the connect and read timeouts (keeping its retries)."""
    for scheme in ("http://", "https://"):
        current = session.get_adapter(scheme)
        retries = getattr(current, "max_retries", 0)
        session.mount(scheme, _BoundedAdapter((bounds.connect, bounds.read), retries))
    return session


# ---------------------------------------------------------------------- verification


def verify_published(
    session: requests.Session, target: Target, files: Sequence[DistFile], *, say: Say
) -> None:
    """Download every file back from the index and compare its sha256 with the tested one."""
    urls = file_urls(session, target, files[0].project)
    for file in files:
        if file.name not in urls:
            msg = f"{file.name!r} is not on the index after uploading; run publish again"
            raise PublishError(msg)
        theirs = download_sha256(session, urls[file.name])
        if theirs != file.sha256:
            msg = (
                f"{file.name!r} on the index has sha256 {theirs[:12]}…, not the tested "
                f"{file.sha256[:12]}…; do not use this release"
            )
            raise PublishError(msg)
        say(f"verified {file.name}: the index serves the tested bytes (sha256 {theirs[:12]}…)")


def install_back(target: Target, files: Sequence[DistFile], *, say: Say) -> None:
    """Install the exact version from the index into a fresh venv and import its modules."""
    wheel = next((f for f in files if f.name.endswith(".whl")), None)
    project, version = files[0].project, files[0].version
    modules = top_level_modules(wheel.path) if wheel is not None else []
    with tempfile.TemporaryDirectory(prefix="releasekit-installback-") as tmp:
        venv = Path(tmp) / "venv"
        python = make_venv(venv)
        requirement = f"{project}=={version}"
        extra = [PYPI_INDEX] if target.repository == "testpypi" else []
        install(python, requirement, index_url=target.index_url, extra_index_urls=extra)
        say(f"installed {requirement} from {public_url(target.index_url)} into a fresh venv")
        for module in modules:
            run_checked([str(python), "-c", f"import {module}"], f"importing {module!r}")
            say(f"imported {module}")


def top_level_modules(wheel: Path) -> list[str]:
    """The importable top-level names a wheel installs."""
    names: set[str] = set()
    with zipfile.ZipFile(wheel) as archive:
        for entry in archive.namelist():
            first = entry.split("/", 1)[0]
            if first.endswith((".dist-info", ".data")) or first.endswith(".pth"):
                continue
            if "/" in entry or first.endswith(".py"):
                module = first.removesuffix(".py")
                if module.isidentifier():
                    names.add(module)
    return sorted(names)


def make_venv(path: Path) -> Path:
    """Create a fresh venv (uv when available, else the standard library); return its python."""
    uv = shutil.which("uv")
    if uv:
        run_checked([uv, "venv", "--quiet", "--python", sys.executable, str(path)], "uv venv")
    else:
        run_checked([sys.executable, "-m", "venv", str(path)], "python -m venv")
    bindir = "Scripts" if os.name == "nt" else "bin"
    return path / bindir / ("python.exe" if os.name == "nt" else "python")


def install(
    python: Path, *requirements: str, index_url: str | None, extra_index_urls: Sequence[str] = ()
) -> None:
    """Install `requirements` into the venv of `python`, from `index_url` only, uncached."""
    uv = shutil.which("uv")
    indexes: list[str] = []
    if index_url:
        indexes += ["--index-url", index_url]
    for extra in extra_index_urls:
        indexes += ["--extra-index-url", extra]
    if uv:
        command = [uv, "pip", "install", "--quiet", "--no-cache", "--python", str(python)]
    else:
        command = [str(python), "-m", "pip", "install", "--quiet", "--no-cache-dir"]
    run_checked([*command, *indexes, *requirements], f"installing {' '.join(requirements)}")


def run_checked(command: Sequence[str], what: str) -> str:
    """Run a command; on failure raise PublishError with the last lines of its output."""
    env = without_credentials(os.environ)
    result = subprocess.run(
        list(command), capture_output=True, text=True, check=False, env=env, timeout=600
    )
    if result.returncode != 0:
        tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
        msg = f"{what} failed (exit {result.returncode}): {tail}"
        raise PublishError(msg)
    return result.stdout


# ----------------------------------------------------------------------------- whole


@dataclass(frozen=True)
class Report:
    """What a publish did: the plan, the files uploaded, and whether it was a dry run."""

    target: Target
    steps: tuple[Step, ...]
    uploaded: tuple[DistFile, ...]
    dry_run: bool


def publish(
    files: Sequence[DistFile],
    target: Target,
    credential: Credential,
    *,
    say: Say,
    warn: Say,
    dry_run: bool = False,
    verify: bool = True,
    install_check: bool = True,
    verbose: bool = False,
    retry: Retry | None = None,
) -> Report:
    """Plan against the index, then (unless `dry_run`) upload, read back and install back."""
    from twine.utils import make_requests_session  # noqa: PLC0415 - slow import

    say(
        f"repository: {target.repository} (upload {public_url(target.upload_url)}, "
        f"index {public_url(target.index_url)})"
    )
    say(f"credential: {credential.describe()}")
    warning = token_warning(credential, target.repository)
    if warning:
        warn(warning)
    session = bound_session(make_requests_session(), limits())
    with session:
        present = index_files(session, target, files[0].project)
        say(f"index answered: {len(present)} file(s) of {files[0].project} already there")
        urls: dict[str, str] = {}

        def remote_hash(name: str) -> str:
            if not urls:
                urls.update(file_urls(session, target, files[0].project))
            return download_sha256(session, urls[name])

        steps = plan(files, present, remote_hash)
        if dry_run:
            for step in steps:
                say(step.describe(dry_run=True))
            say("dry run: nothing was uploaded")
            return Report(target, tuple(steps), (), dry_run=True)

        def on_index(name: str) -> str | None:
            listed = index_files(session, target, files[0].project)
            if name not in listed:
                return None
            return listed[name] or download_sha256(
                session, file_urls(session, target, files[0].project)[name]
            )

        bounds = limits()
        uploaded = upload_all(
            steps,
            target,
            credential,
            say=say,
            retry=retry or Retry(bounds.upload_attempts, bounds.retry_backoff),
            verbose=verbose,
            on_index=on_index,
        )
        if verify:
            verify_published(session, target, files, say=say)
    if install_check:
        install_back(target, files, say=say)
    return Report(target, tuple(steps), tuple(uploaded), dry_run=False)


def check(files: Sequence[DistFile], target: Target, *, say: Say) -> Report:
    """Plan the upload against the index without any credential; upload nothing.

    The release workflow runs this before `pypa/gh-action-pypi-publish`: a file already
    there with other bytes stops the release here, before any file is uploaded, and
    `skip_existing` tells the action whether identical files are already there.
    """
    from twine.utils import make_requests_session  # noqa: PLC0415 - slow import

    say(f"repository: {target.repository} (index {public_url(target.index_url)})")
    with make_requests_session() as session:
        present = index_files(session, target, files[0].project)
        urls: dict[str, str] = {}

        def remote_hash(name: str) -> str:
            if not urls:
                urls.update(file_urls(session, target, files[0].project))
            return download_sha256(session, urls[name])

        steps = plan(files, present, remote_hash)
    for step in steps:
        say(step.describe(dry_run=True))
    return Report(target, tuple(steps), (), dry_run=True)


def skip_existing(report: Report) -> bool:
    """Whether the uploader must skip files the index already has (all of them identical)."""
    return any(step.action == "skip" for step in report.steps)


def check_release_state(root: Path, version: str, *, tag_prefix: str) -> str:
    """Refuse unless HEAD is exactly at the release tag of `version` and the tree is clean.

    Returns the tag. Untracked files (such as `dist/`) do not count as changes.
    """
    from git import Repo  # noqa: PLC0415 - gitpython is slow to import
    from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError  # noqa: PLC0415
    from packaging.version import Version  # noqa: PLC0415

    from releasekit.versions import tag_for_version  # noqa: PLC0415

    tag = tag_for_version(Version(version), prefix=tag_prefix)
    try:
        repo = Repo(root, search_parent_directories=True)
        head = repo.git.rev_parse("HEAD")
    except (InvalidGitRepositoryError, NoSuchPathError, GitCommandError):
        msg = (
            f"{str(root)!r} is not a git repository with commits; "
            f"publish to PyPI from a release checkout"
        )
        raise PublishError(msg) from None
    try:
        tagged = repo.git.rev_parse(f"refs/tags/{tag}^{{commit}}")
    except GitCommandError:
        msg = (
            f"the release tag {tag!r} of version {version!r} does not exist; release first "
            f"(releasekit release), then publish from that tag"
        )
        raise PublishError(msg) from None
    if tagged != head:
        msg = (
            f"HEAD ({head[:12]}) is not at the release tag {tag!r} ({tagged[:12]}); "
            f"run '{command('git', 'checkout', tag)}' and publish again"
        )
        raise PublishError(msg)
    if repo.is_dirty(index=True, working_tree=True, untracked_files=False):
        msg = (
            "the working tree has uncommitted changes; PyPI gets only what the tag holds — "
            "commit or discard them (git status) and build again"
        )
        raise PublishError(msg)
    return tag


def project_root(start: Path | None = None) -> Path | None:
    """The project checkout at or above `start` (its pyproject.toml), or None without one.

    The release workflow's publish job checks out nothing: it has only the tested `dist/`.
    """
    try:
        return find_root(start)
    except ConfigError:
        return None


def actions_tag(environ: Mapping[str, str]) -> str | None:
    """The tag a GitHub Actions run is for (a tag push, or a dispatch on a tag), else None."""
    if not in_github_actions(environ):
        return None
    ref = environ.get("GITHUB_REF", "")
    if ref:
        tag = ref.removeprefix("refs/tags/")
        return tag if ref.startswith("refs/tags/") and tag else None
    if environ.get("GITHUB_REF_TYPE") == "tag":
        return environ.get("GITHUB_REF_NAME") or None
    return None


def check_release_files(
    files: Sequence[DistFile], environ: Mapping[str, str], *, tag_prefix: str
) -> str:
    """Without a checkout: refuse unless this is a GitHub Actions run for the files' tag.

    With no repository to look at, the tag the run was started for is the only record of
    which commit was released; it must name the version the files carry. Returns the tag.
    """
    from packaging.version import Version  # noqa: PLC0415

    from releasekit.versions import tag_for_version, version_from_tag  # noqa: PLC0415

    version = files[0].version
    tag = actions_tag(environ)
    if tag is None:
        expected = tag_for_version(Version(version), prefix=tag_prefix)
        if in_github_actions(environ):
            ref = environ.get("GITHUB_REF", "") or environ.get("GITHUB_REF_NAME", "")
            msg = (
                f"this GitHub Actions run is for {ref or 'no ref'!r}, not a release tag, and has "
                f"no checkout to check; publish to PyPI by pushing the tag {expected!r}"
            )
        else:
            msg = (
                f"there is no project checkout here (no pyproject.toml), so nothing shows that "
                f"the files are those of the release tag {expected!r}; publish to PyPI from a "
                f"checkout at that tag, or from GitHub Actions on a push of that tag"
            )
        raise PublishError(msg)
    try:
        tagged = version_from_tag(tag, prefix=tag_prefix)
    except TagError as exc:
        msg = (
            f"this run is for the tag {tag!r}, which is not a release tag ({exc}); "
            f"pass --tag-prefix if the project tags releases with another prefix"
        )
        raise PublishError(msg) from None
    if tagged != Version(version):
        msg = (
            f"this run is for the tag {tag!r} (version {str(tagged)!r}) but the files in dist/ "
            f"are version {version!r}; publish the files built from that tag"
        )
        raise PublishError(msg)
    return tag


def run(
    *,
    root: Path | None,
    repository: str | None,
    index_url: str | None,
    dist_dir: Path,
    environ: Mapping[str, str],
    say: Say,
    warn: Say,
    dry_run: bool = False,
    verbose: bool = False,
    install_check: bool = True,
    retry: Retry | None = None,
    tag_prefix: str | None = None,
    check_only: bool = False,
) -> Report:
    """`releasekit publish`: check the files and the release, pick the credential, publish.

    `root` is the project checkout, or None where there is none (the release workflow's
    publish job): then the name and version come from the checked files alone, and PyPI
    is only published to from a GitHub Actions run for the matching tag.
    """
    from releasekit import credentials  # noqa: PLC0415
    from releasekit.project import load_project  # noqa: PLC0415

    if root is not None:
        project = load_project(root)
        version = str(project.version)
        prefix = project.config.tag_prefix if tag_prefix is None else tag_prefix
        files = collect_dist(dist_dir, expected_version=version)
    else:
        prefix = "v" if tag_prefix is None else tag_prefix
        files = collect_dist(dist_dir)
        version = files[0].version
        say(
            f"project: {files[0].project} {version}, read from the files "
            f"(no pyproject.toml here or in any parent)"
        )
    say(f"files: {', '.join(f.name for f in files)} (checked, sha256 recorded)")

    def go(target: Target, credential: Credential) -> Report:
        return publish(
            files,
            target,
            credential,
            say=say,
            warn=warn,
            dry_run=dry_run,
            verbose=verbose,
            install_check=install_check,
            retry=retry,
        )

    if repository == "local" and check_only:
        msg = "--check plans against an index that exists before the upload; not 'local'"
        raise PublishError(msg)
    if repository == "local":
        from releasekit.localindex import local_index  # noqa: PLC0415

        with local_index() as index:
            say(f"started the embedded local index at {index.url} (stops when publish ends)")
            target = Target("local", index.upload_url, index_url or index.index_url)
            return go(target, Credential(index.username, index.password, "embedded index login"))
    target = resolve_target(repository, index_url=index_url, environ=environ)
    if target.repository == "pypi":
        if root is not None:
            tag = check_release_state(root, version, tag_prefix=prefix)
            say(f"release: HEAD is at {tag} and the working tree is clean")
        else:
            tag = check_release_files(files, environ, tag_prefix=prefix)
            say(f"release: this GitHub Actions run is for {tag}, the tag of the files' version")
    if check_only:
        return check(files, target, say=say)
    return go(target, credentials.resolve(target.repository, target.upload_url, environ))
