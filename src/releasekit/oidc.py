"""Trusted Publishing: trade a GitHub Actions OIDC identity for a short-lived upload token.

The exchange is the one PyPI documents (and twine and pypa/gh-action-pypi-publish do):

1. GET ``<index>/_/oidc/audience`` -> ``{"audience": "pypi"}``;
2. GET ``$ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>`` with
   ``Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`` -> ``{"value": "<jwt>"}``;
3. POST ``{"token": "<jwt>"}`` to ``<index>/_/oidc/mint-token`` -> ``{"success": true,
   "token": "pypi-...", "expires": ...}``, or HTTP 422 with ``{"message": ..., "errors": [...]}``.

twine hard-codes ``https://`` for steps 1 and 3, so releasekit does the exchange itself and
hands twine the minted token. Every failure is one `CredentialError` line naming what to fix;
no token (GitHub's request token, the OIDC token or the minted token) is ever in a message.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPException
from typing import IO, Final

from releasekit.errors import CredentialError

__all__ = [
    "REQUEST_TOKEN_VAR",
    "REQUEST_URL_VAR",
    "in_github_actions",
    "index_base",
    "mint_token",
    "trusted_publishing_available",
]

REQUEST_URL_VAR: Final = "ACTIONS_ID_TOKEN_REQUEST_URL"
REQUEST_TOKEN_VAR: Final = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105 - a variable name
TIMEOUT: Final = 30.0
_LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})
_MAX_DETAIL: Final = 300
_PUBLISHER_CLAIMS: Final = (
    ("owner", "repository_owner"),
    ("repository", "repository"),
    ("workflow", "job_workflow_ref"),
    ("environment", "environment"),
)
_NO_PERMISSION: Final = (
    f"GitHub Actions gave this job no OIDC token ({REQUEST_URL_VAR} and {REQUEST_TOKEN_VAR} "
    "are unset): add `permissions: id-token: write` to the publishing job (and nowhere else), "
    "or set an API token instead"
)


def in_github_actions(environ: Mapping[str, str]) -> bool:
    """Whether this process runs in a GitHub Actions job (``GITHUB_ACTIONS=true``)."""
    return environ.get("GITHUB_ACTIONS") == "true"


def trusted_publishing_available(environ: Mapping[str, str]) -> bool:
    """Whether GitHub Actions gave this job an OIDC token request (``id-token: write``)."""
    return bool(environ.get(REQUEST_URL_VAR)) and bool(environ.get(REQUEST_TOKEN_VAR))


def index_base(repository_url: str) -> str:
    """Return ``scheme://host[:port]`` of an upload URL, where PyPI serves ``/_/oidc/*``."""
    parts = urllib.parse.urlsplit(repository_url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        msg = (
            f"repository URL {repository_url!r} is not an http(s) URL; "
            "pass an upload URL such as 'https://upload.pypi.org/legacy/'"
        )
        raise CredentialError(msg)
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        msg = (
            f"repository URL {repository_url!r} uses plain http; Trusted Publishing sends an "
            "identity token, so it needs https (plain http only on 127.0.0.1/localhost)"
        )
        raise CredentialError(msg)
    return f"{parts.scheme}://{parts.netloc}"


def mint_token(
    repository_url: str, environ: Mapping[str, str], *, out: IO[str] | None = None
) -> str:
    """Return a short-lived upload token for `repository_url`, minted by Trusted Publishing.

    `environ` supplies GitHub's ``ACTIONS_ID_TOKEN_REQUEST_*`` and ``GITHUB_ACTIONS``. In
    GitHub Actions both the OIDC token and the minted token are masked in the job's log
    (``::add-mask::`` on `out`, stdout by default) before anything else can print them.
    """
    base = index_base(repository_url)
    if not trusted_publishing_available(environ):
        raise CredentialError(_NO_PERMISSION)
    stream = sys.stdout if out is None else out
    audience = _audience(base)
    secrets = [environ[REQUEST_TOKEN_VAR]]
    id_token = _github_id_token(environ, audience, secrets)
    secrets.append(id_token)
    _mask(id_token, environ, stream)
    token = _exchange(base, id_token, environ, secrets)
    _mask(token, environ, stream)
    return token


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would resend the bearer token to wherever they point."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER: Final = urllib.request.build_opener(_NoRedirects)


def _request(
    url: str, *, what: str, headers: Mapping[str, str], data: bytes | None = None
) -> _Response:
    """Send one request; any HTTP status is returned, a transport failure is an error."""
    method = "GET" if data is None else "POST"
    request = urllib.request.Request(url, data=data, headers=dict(headers), method=method)  # noqa: S310 - scheme checked by index_base / GitHub
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            return _Response(response.status, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return _Response(exc.code, exc.read())
    except (urllib.error.URLError, HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        msg = f"cannot reach {what} ({type(exc).__name__}: {reason}); check the network and retry"
        raise CredentialError(msg) from None


def _safe_scheme(url: str) -> bool:
    """https anywhere; plain http only to this machine (the identity token must not leak)."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)


def _json_object(response: _Response) -> dict[str, object] | None:
    try:
        parsed = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _audience(base: str) -> str:
    url = f"{base}/_/oidc/audience"
    response = _request(url, what=url, headers={"Accept": "application/json"})
    payload = _json_object(response)
    audience = None if payload is None else payload.get("audience")
    if response.status != 200 or not isinstance(audience, str) or not audience:
        msg = (
            f"{base!r} does not offer Trusted Publishing (GET {url} answered HTTP "
            f"{response.status}{'' if payload is not None else ', not JSON'}); check the "
            "repository URL, or publish with an API token"
        )
        raise CredentialError(msg)
    return audience


def _github_id_token(environ: Mapping[str, str], audience: str, secrets: list[str]) -> str:
    request_url = environ[REQUEST_URL_VAR]
    if not _safe_scheme(request_url):
        msg = (
            f"{REQUEST_URL_VAR} is {request_url!r}, not an https URL; run on a GitHub-hosted "
            "or correctly configured runner, or unset it"
        )
        raise CredentialError(msg)
    url = _with_query(request_url, audience=audience)
    headers = {
        "Authorization": f"bearer {environ[REQUEST_TOKEN_VAR]}",
        "Accept": "application/json",
    }
    response = _request(url, what="GitHub's OIDC token endpoint", headers=headers)
    payload = _json_object(response)
    value = None if payload is None else payload.get("value")
    if response.status != 200 or not isinstance(value, str) or not value:
        detail = _detail(payload, secrets) if payload is not None else "not JSON"
        msg = (
            f"GitHub's OIDC token endpoint answered HTTP {response.status} ({detail}); "
            "check that the job has `permissions: id-token: write` and re-run it"
        )
        raise CredentialError(msg)
    return value


def _exchange(base: str, id_token: str, environ: Mapping[str, str], secrets: list[str]) -> str:
    url = f"{base}/_/oidc/mint-token"
    body = json.dumps({"token": id_token}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    response = _request(url, what=url, headers=headers, data=body)
    payload = _json_object(response)
    if payload is None:
        msg = (
            f"{url} answered HTTP {response.status} with a body that is not JSON; the index "
            "may be down or behind a proxy: retry later, or publish with an API token"
        )
        raise CredentialError(msg)
    token = payload.get("token")
    if response.status == 200 and payload.get("success") is True and isinstance(token, str):
        if not token:
            msg = f"{url} answered success with an empty token; retry, or use an API token"
            raise CredentialError(msg)
        return token
    raise CredentialError(
        _refusal(
            base,
            response.status,
            payload=payload,
            id_token=id_token,
            environ=environ,
            secrets=secrets,
        )
    )


def _refusal(
    base: str,
    status: int,
    *,
    payload: dict[str, object],
    id_token: str,
    environ: Mapping[str, str],
    secrets: list[str],
) -> str:
    """The one-line message for a mint-token refusal, by PyPI's error code."""
    codes = _error_codes(payload)
    detail = _detail(payload, secrets)
    if "invalid-publisher" in codes or "invalid-pending-publisher" in codes:
        fields = ", ".join(
            f"{name}={value!r}" for name, value in _publisher_fields(id_token, environ)
        )
        return (
            f"{base} has no trusted publisher matching this workflow ({detail}); on the "
            "project's Publishing settings check that owner, repository, workflow file and "
            f"environment match exactly: {fields}"
        )
    if "invalid-token" in codes:
        return (
            f"{base} rejected the GitHub OIDC token ({detail}); it expired or is for another "
            "audience or index: re-run the publishing job, and check the repository URL"
        )
    if "not-enabled" in codes:
        return f"Trusted Publishing is disabled on {base} ({detail}); publish with an API token"
    return (
        f"{base} refused to mint an upload token (HTTP {status}: {detail}); see "
        "docs/troubleshooting.md, or publish with an API token"
    )


def _error_codes(payload: Mapping[str, object]) -> set[str]:
    errors = payload.get("errors")
    if not isinstance(errors, list):
        return set()
    return {str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code")}


def _detail(payload: Mapping[str, object], secrets: list[str]) -> str:
    """The server's own words, one line, short, with any secret cut out."""
    parts: list[str] = []
    errors = payload.get("errors")
    if isinstance(errors, list):
        for error in errors:
            if isinstance(error, dict):
                code, description = error.get("code"), error.get("description")
                parts.append(f"{code}: {description}" if description else str(code))
    if not parts:
        message = payload.get("message")
        parts.append(str(message) if message else "no details")
    text = " ".join("; ".join(parts).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def _publisher_fields(id_token: str, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """What PyPI compares with the trusted publisher, read from the token's claims."""
    claims = _claims(id_token)
    fallback = {
        "repository_owner": environ.get("GITHUB_REPOSITORY_OWNER", ""),
        "repository": environ.get("GITHUB_REPOSITORY", ""),
        "job_workflow_ref": environ.get("GITHUB_WORKFLOW_REF", ""),
        "environment": "",
    }
    fields: list[tuple[str, str]] = []
    for name, claim in _PUBLISHER_CLAIMS:
        value = claims.get(claim, fallback[claim])
        text = value if isinstance(value, str) else ""
        if name == "workflow":
            # "owner/repo/.github/workflows/release.yml@refs/tags/v1.0.0" -> "release.yml"
            text = text.split("@", 1)[0].rsplit("/", 1)[-1]
        fields.append((name, text or "(none)"))
    return fields


def _claims(jwt: str) -> dict[str, object]:
    """The unverified payload of a JWT (claims are not secret), or {} if unreadable."""
    pieces = jwt.split(".")
    if len(pieces) != 3:
        return {}
    try:
        decoded = json.loads(base64.urlsafe_b64decode(pieces[1] + "=" * (-len(pieces[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _with_query(url: str, **fields: str) -> str:
    """`url` with `fields` added to its query (GitHub's URL already has ``api-version``)."""
    parts = urllib.parse.urlsplit(url)
    query = [*urllib.parse.parse_qsl(parts.query, keep_blank_values=True), *fields.items()]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _mask(secret: str, environ: Mapping[str, str], out: IO[str]) -> None:
    """Ask the GitHub Actions runner to hide `secret` in the job log from now on."""
    if in_github_actions(environ):
        out.write(f"::add-mask::{secret}\n")
        out.flush()
