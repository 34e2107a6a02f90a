"""Which credential an upload uses, where it came from, and how to show it without the secret.

Sources, in order: the environment (`TWINE_USERNAME`/`TWINE_PASSWORD`, `PYPI_TOKEN`,
`TESTPYPI_TOKEN`, `UV_PUBLISH_TOKEN`), `~/.pypirc`, and the keyring (as twine uses it).
The first source that has a credential wins; a source that is present but unsafe or
broken is an error, never silently skipped. In CI with no credential at all, twine's own
Trusted Publishing exchange (`twine.auth`, with the `id` package's CI detection: GitHub
Actions, GitLab, Buildkite, CircleCI, Google Cloud) mints a short-lived token. The release
workflow itself publishes with `pypa/gh-action-pypi-publish`, not with this.
"""

from __future__ import annotations

import configparser
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from releasekit import redaction
from releasekit.errors import CredentialError, command
from releasekit.redaction import public_url

TOKEN_USER = "__token__"  # noqa: S105 - the fixed username of API tokens
PYPI_TOKEN_PREFIX = redaction.PYPI_TOKEN_PREFIX
RepositoryName = Literal["pypi", "testpypi", "local", "url"]

_REPO_TOKEN_VARS: dict[str, str] = {"pypi": "PYPI_TOKEN", "testpypi": "TESTPYPI_TOKEN"}


@dataclass(frozen=True)
class Credential:
    """A username and secret for one upload, and a description of where they came from."""

    username: str
    password: str = field(repr=False)
    source: str

    def __post_init__(self) -> None:
        # Every credential in play is known to the scrubber from the moment it exists.
        redaction.register(self.password, username=self.username)

    def describe(self) -> str:
        """Where the credential came from, with the secret masked."""
        return f"{self.source} (username {self.username!r}, secret {mask(self.password)})"

    def __str__(self) -> str:
        return self.describe()


def mask(secret: str) -> str:
    """Show that a secret exists and its shape, never its characters.

    Only the public `pypi-` prefix that every PyPI token has is kept:

    >>> mask("pypi-AgEIcHlwaS5vcmc")
    'pypi-*** (20 chars)'
    >>> mask("")
    '<empty>'
    """
    if not secret:
        return "<empty>"
    prefix = PYPI_TOKEN_PREFIX if secret.startswith(PYPI_TOKEN_PREFIX) else ""
    return f"{prefix}*** ({len(secret)} chars)"


def token_warning(credential: Credential, repository: RepositoryName) -> str | None:
    """A warning when a PyPI or TestPyPI token does not look like one, else None."""
    if repository not in {"pypi", "testpypi"} or credential.username != TOKEN_USER:
        return None
    if credential.password.startswith(PYPI_TOKEN_PREFIX):
        return None
    return (
        f"the token from {credential.source} does not start with {PYPI_TOKEN_PREFIX!r} as "
        f"every PyPI API token does; check that you copied the whole token"
    )


# Whether file mode bits say who may read a file (POSIX), or ACLs do (Windows).
MODE_BITS_PROTECT = os.name == "posix"


def pypirc_path(environ: Mapping[str, str]) -> Path:
    """The `.pypirc` that releasekit and twine read (`~/.pypirc`)."""
    home = environ.get("HOME")
    return (Path(home) if home else Path.home()) / ".pypirc"


def check_pypirc_permissions(path: Path) -> None:
    """Refuse a `.pypirc` that group or others may read or write (POSIX mode bits)."""
    if not MODE_BITS_PROTECT:
        # Windows keeps no group/other bits (st_mode is 0o666 for any writable file); the
        # ACLs of a user's profile keep it private, as twine and pip assume. Nothing to check.
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        msg = (
            f"{str(path)!r} is readable or writable by other users (mode {mode:o}) and holds "
            f"secrets; run '{command('chmod', '600', str(path))}' and try again"
        )
        raise CredentialError(msg)


def read_pypirc(path: Path) -> configparser.ConfigParser:
    """Parse `.pypirc` after checking its permissions; errors name the file and the fix."""
    check_pypirc_permissions(path)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (configparser.Error, UnicodeDecodeError) as exc:
        # The parser's message can quote a line, and that line can hold a password.
        kind = type(exc).__name__
        msg = f"{str(path)!r} is not a valid .pypirc ({kind}); fix it or remove it"
        raise CredentialError(msg) from None
    return parser


def pypirc_section(
    parser: configparser.ConfigParser, repository: RepositoryName, upload_url: str
) -> str | None:
    """The `.pypirc` section for this upload: by name for pypi/testpypi, else by URL."""
    if repository in {"pypi", "testpypi"} and parser.has_section(repository):
        return repository
    for section in parser.sections():
        configured = parser.get(section, "repository", fallback="").strip()
        if configured and configured.rstrip("/") == upload_url.rstrip("/"):
            return section
    return None


def resolve(
    repository: RepositoryName,
    upload_url: str,
    environ: Mapping[str, str],
) -> Credential:
    """Return the first credential the sources give for this upload (see the module doc)."""
    found = configured(repository, upload_url, environ)
    if found is not None:
        return found
    if repository != "local" and in_ci(environ):
        return _trusted_publishing(upload_url, environ)
    names = ", ".join(
        ["TWINE_USERNAME/TWINE_PASSWORD", *_token_vars(repository), "UV_PUBLISH_TOKEN"]
    )
    msg = (
        f"no credential for {public_url(upload_url)!r}: set {names}, add a "
        f"[{_section_hint(repository)}] "
        f"section to ~/.pypirc, store one in the keyring, or publish from CI (GitHub "
        f"Actions, GitLab, …) with Trusted Publishing"
    )
    raise CredentialError(msg)


def configured(
    repository: RepositoryName, upload_url: str, environ: Mapping[str, str]
) -> Credential | None:
    """The credential the environment, `.pypirc` or the keyring hold, or None (mints nothing)."""
    for source in (_environment, _pypirc, _keyring):
        found = source(repository, upload_url, environ)
        if found is not None:
            return found
    return None


def in_github_actions(environ: Mapping[str, str]) -> bool:
    """Whether this process runs in a GitHub Actions job (``GITHUB_ACTIONS=true``)."""
    return environ.get("GITHUB_ACTIONS") == "true"


def in_ci(environ: Mapping[str, str]) -> bool:
    """Whether this looks like a CI job (GitHub, GitLab, Buildkite and CircleCI set ``CI``)."""
    return in_github_actions(environ) or environ.get("CI", "").lower() in {"true", "1"}


_NO_OIDC_PERMISSION = (
    "GitHub Actions gave this job no OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN are "
    "unset): add `permissions: id-token: write` to the publishing job (and nowhere else), "
    "or set an API token instead"
)


def _trusted_publishing(upload_url: str, environ: Mapping[str, str]) -> Credential:
    """Mint an upload token with twine's Trusted Publishing exchange; one line on failure."""
    if in_github_actions(environ) and not (
        environ.get("ACTIONS_ID_TOKEN_REQUEST_URL")
        and environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    ):
        # The usual mistake: say it before any request is made.
        raise CredentialError(_NO_OIDC_PERMISSION)
    import requests  # noqa: PLC0415 - slow imports, only when minting
    from twine.auth import CredentialInput, Private  # noqa: PLC0415
    from twine.exceptions import TwineException  # noqa: PLC0415

    config = {"repository": upload_url, "username": TOKEN_USER, "password": None}
    resolver = Private(config, CredentialInput(TOKEN_USER))
    try:
        token = resolver.make_trusted_publishing_token()
    except (TwineException, requests.RequestException, ValueError, KeyError, TypeError) as exc:
        # twine's message can carry the index's reasons; it never carries a token.
        detail = " ".join(str(exc).replace("*", "").split())[:300] or type(exc).__name__
        msg = (
            f"Trusted Publishing for {upload_url!r} failed ({detail}); check the trusted "
            f"publisher on the index (repository, workflow, environment) or set an API token"
        )
        raise CredentialError(msg) from None
    if not token:
        msg = (
            f"no credential for {upload_url!r}, and this CI gives no OIDC identity that twine "
            f"can trade for a token; set an API token (e.g. PYPI_TOKEN) or configure Trusted "
            f"Publishing for this CI"
        )
        raise CredentialError(msg)
    return Credential(TOKEN_USER, token, "Trusted Publishing (twine's OIDC exchange)")


def _token_vars(repository: RepositoryName) -> list[str]:
    return [_REPO_TOKEN_VARS[repository]] if repository in _REPO_TOKEN_VARS else []


def _environment(
    repository: RepositoryName, upload_url: str, environ: Mapping[str, str]
) -> Credential | None:
    password = environ.get("TWINE_PASSWORD", "")
    if password:
        username = environ.get("TWINE_USERNAME", "") or TOKEN_USER
        return Credential(username, password, "environment (TWINE_PASSWORD)")
    for name in [*_token_vars(repository), "UV_PUBLISH_TOKEN"]:
        token = environ.get(name, "")
        if token:
            return Credential(TOKEN_USER, token, f"environment ({name})")
    return None


def _pypirc(
    repository: RepositoryName, upload_url: str, environ: Mapping[str, str]
) -> Credential | None:
    path = pypirc_path(environ)
    if not path.is_file():
        return None
    parser = read_pypirc(path)
    section = pypirc_section(parser, repository, upload_url)
    if section is None:
        return None
    password = parser.get(section, "password", fallback="").strip()
    if not password:
        return None  # a section without a password leaves the secret to the keyring
    username = parser.get(section, "username", fallback="").strip() or TOKEN_USER
    return Credential(username, password, f"~/.pypirc [{section}]")


def _keyring(
    repository: RepositoryName, upload_url: str, environ: Mapping[str, str]
) -> Credential | None:
    username = environ.get("TWINE_USERNAME", "") or _pypirc_username(
        repository, upload_url, environ
    )
    username = username or TOKEN_USER
    # A backend may log or warn with the secret before returning it: hold output back
    # until the secret is known to the scrubber.
    with redaction.held():
        try:
            import keyring  # noqa: PLC0415 - slow import, needed only here

            password = keyring.get_password(upload_url, username)
        except Exception:  # any keyring backend failure means "no credential here"
            return None
        if password:
            redaction.register(password, username=username)
    if not password:
        return None
    return Credential(username, password, f"keyring ({public_url(upload_url)})")


def _pypirc_username(
    repository: RepositoryName, upload_url: str, environ: Mapping[str, str]
) -> str:
    path = pypirc_path(environ)
    if not path.is_file():
        return ""
    parser = read_pypirc(path)
    section = pypirc_section(parser, repository, upload_url)
    return "" if section is None else parser.get(section, "username", fallback="").strip()


def _section_hint(repository: RepositoryName) -> str:
    return repository if repository in {"pypi", "testpypi"} else "NAME (with repository = URL)"
