"""Trusted Publishing outside the release workflow: twine's own OIDC exchange, on loopback.

GitHub's OIDC endpoint and PyPI's `/_/oidc/*` routes cannot exist here, so two loopback
servers speak their wire protocol: GitHub's token request (GET `$ACTIONS_ID_TOKEN_REQUEST_URL
&audience=…` with a bearer request token → `{"value": <jwt>}`) over http, and PyPI's
audience and mint-token routes over https (twine only speaks https to them) with a
self-signed certificate that `REQUESTS_CA_BUNDLE` makes trusted.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from loopback import running

from releasekit.credentials import resolve
from releasekit.errors import CredentialError

REQUEST_TOKEN = "ghs-REQUESTCANARY-0123456789"


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# GitHub's token is a signed JWT; `id` reads its audience claim (PyPI checks the signature).
OIDC_TOKEN = ".".join(
    [
        _segment({"alg": "RS256", "typ": "JWT"}),
        _segment(
            {
                "aud": "loopback-audience",
                "iss": "https://token.actions.githubusercontent.com",
                "repository": "octo/sample",
                "job_workflow_ref": "octo/sample/.github/workflows/release.yml@refs/tags/v1.2.0",
                "jti": "OIDCCANARY",
            }
        ),
        "c2lnbmF0dXJl",
    ]
)
MINTED = "pypi-MINTEDCANARY0123456789"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, str, Any]]
    mint: tuple[int, dict[str, Any]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _json(self, status: int, data: object) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.seen.append(("GET", parts.path, self.headers.get("Authorization")))
        if parts.path == "/_/oidc/audience":
            self._json(200, {"audience": "loopback-audience"})
        elif parts.path == "/token":
            audience = parse_qs(parts.query).get("audience", [""])[0]
            if self.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
                self._json(403, {"message": "bad request token"})
            elif audience != "loopback-audience":
                self._json(400, {"message": f"unexpected audience {audience!r}"})
            else:
                self._json(200, {"count": 1, "value": OIDC_TOKEN})
        else:
            self._json(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.server.seen.append(("POST", self.path, body))
        if self.path == "/_/oidc/mint-token" and body == {"token": OIDC_TOKEN}:
            self._json(*self.server.mint)
        else:
            self._json(422, {"message": "Token request failed", "errors": []})


@contextmanager
def serving(context: ssl.SSLContext | None, mint: tuple[int, dict[str, Any]]) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = []
    server.mint = mint
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    with running(server):
        yield server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def exchange(
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    mint: tuple[int, dict[str, Any]],
) -> tuple[Any, list[tuple[str, str, Any]]]:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with serving(None, mint) as github, serving(context, mint) as index:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN)
        monkeypatch.setenv(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            f"http://127.0.0.1:{github.server_address[1]}/token?api-version=2.0",
        )
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        import os

        upload = f"https://127.0.0.1:{index.server_address[1]}/legacy/"
        try:
            result: Any = resolve("url", upload, os.environ)
        except CredentialError as exc:
            result = exc
        return result, github.seen + index.seen


def test_twine_mints_a_token_in_github_actions(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    mint = (200, {"success": True, "token": MINTED, "expires": 2_000_000_000})
    credential, seen = exchange(certificate, monkeypatch, mint)
    assert not isinstance(credential, CredentialError), str(credential)
    assert credential.username == "__token__"
    assert credential.password == MINTED
    assert credential.source == "Trusted Publishing (twine's OIDC exchange)"
    assert MINTED not in str(credential)
    # Two servers, two logs: GitHub's token request, then PyPI's audience and mint-token.
    assert sorted((method, path) for method, path, _ in seen) == [
        ("GET", "/_/oidc/audience"),
        ("GET", "/token"),
        ("POST", "/_/oidc/mint-token"),
    ]


def test_a_refused_exchange_is_one_line_without_tokens(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    mint = (
        422,
        {
            "message": "Token request failed",
            "errors": [{"code": "invalid-publisher", "description": "no corresponding publisher"}],
        },
    )
    error, _seen = exchange(certificate, monkeypatch, mint)
    assert isinstance(error, CredentialError)
    message = str(error)
    assert "invalid-publisher" in message
    assert "\n" not in message
    for secret in (REQUEST_TOKEN, OIDC_TOKEN, MINTED):
        assert secret not in message


def test_outside_ci_nothing_is_minted(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CredentialError, match="no credential for"):
        resolve("pypi", "https://upload.pypi.org/legacy/", {})


def test_another_ci_tries_twine_and_fails_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from releasekit.localindex import free_port

    upload = f"https://127.0.0.1:{free_port()}/legacy/"  # nothing listens there
    with pytest.raises(CredentialError) as caught:
        resolve("url", upload, {"CI": "true"})
    assert str(caught.value).startswith(f"Trusted Publishing for {upload!r} failed (")
    assert "\n" not in str(caught.value)


def test_doctor_in_ci_mints_nothing(tmp_path: Path) -> None:
    from releasekit import doctor

    finding = doctor._credential("pypi", "https://upload.pypi.org/legacy/", {"CI": "true"})
    assert finding.status == "ok"
    assert "Trusted Publishing mints one when uploading" in finding.detail
