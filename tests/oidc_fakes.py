"""Loopback fakes of GitHub's OIDC token endpoint and PyPI's Trusted Publishing API.

Both speak the real wire protocol on 127.0.0.1 (http.server in a thread):

* `FakeGitHubOIDC` is ``$ACTIONS_ID_TOKEN_REQUEST_URL``: GET ``...&audience=<aud>`` with
  ``Authorization: bearer <request token>`` answers ``{"value": "<jwt>"}``; the JWT carries
  GitHub's claims and is signed (HS256) with a key that only the fake PyPI knows to check.
* `FakePyPI` serves ``/_/oidc/audience`` and ``/_/oidc/mint-token`` as Warehouse does
  (success, or 422 with ``{"message", "errors": [{"code", "description"}]}``), and proxies
  everything else to a real upstream index (pypiserver), letting an upload through only
  with ``__token__`` and a token it minted or an API token it was given.

Faults are injected by setting attributes (`audience_status`, `mint_outage`, `expired`...).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ISSUER = "https://token.actions.githubusercontent.com"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Publisher:
    """What a PyPI project's trusted publisher names: owner, repository, workflow, environment."""

    owner: str = "acme"
    repository: str = "acme/widget"
    workflow: str = "release.yml"
    environment: str = "pypi"

    def claims(self, ref: str = "refs/tags/v1.0.0") -> dict[str, Any]:
        """The GitHub OIDC claims a run of this workflow gets."""
        workflow_ref = f"{self.repository}/.github/workflows/{self.workflow}@{ref}"
        return {
            "repository_owner": self.owner,
            "repository": self.repository,
            "workflow_ref": workflow_ref,
            "job_workflow_ref": workflow_ref,
            "environment": self.environment,
            "ref": ref,
            "sub": f"repo:{self.repository}:environment:{self.environment}",
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    owner: Any  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: request lines would clutter test output."""

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, status: int, payload: object) -> None:
        self.reply(status, json.dumps(payload).encode())

    def do_GET(self) -> None:
        self.owner.handle(self, "GET", b"")

    def do_POST(self) -> None:
        self.owner.handle(self, "POST", self._body())

    def do_HEAD(self) -> None:
        self.owner.handle(self, "HEAD", b"")


@contextmanager
def _serve(owner: Any) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"owner": owner})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class FakeGitHubOIDC:
    """GitHub's OIDC token endpoint for one job run (``ACTIONS_ID_TOKEN_REQUEST_*``)."""

    publisher: Publisher = field(default_factory=Publisher)
    request_token: str = field(default_factory=lambda: "ghs_CANARY_" + secrets.token_hex(12))
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    expired: bool = False
    status: int = 200
    base: str = ""
    issued: list[str] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)

    @contextmanager
    def running(self) -> Iterator[FakeGitHubOIDC]:
        """Serve on a free loopback port for the `with` block."""
        with _serve(self) as base:
            self.base = base
            yield self

    @property
    def request_url(self) -> str:
        """``ACTIONS_ID_TOKEN_REQUEST_URL`` as the runner sets it (it already has a query)."""
        return f"{self.base}/_apis/token?api-version=2.0"

    def environ(self) -> dict[str, str]:
        """The variables a GitHub Actions job with ``id-token: write`` sees."""
        return {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.request_url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
            "GITHUB_REPOSITORY": self.publisher.repository,
            "GITHUB_REPOSITORY_OWNER": self.publisher.owner,
        }

    def jwt(self, audience: str) -> str:
        """A signed ID token for `audience` with this run's claims."""
        now = int(time.time())
        expires = now - 60 if self.expired else now + 300
        claims = {
            **self.publisher.claims(),
            "iss": ISSUER,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": expires,
            "jti": secrets.token_hex(8),
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = hmac.new(self.key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def verify(self, token: str, audience: str) -> dict[str, Any] | None:
        """The claims of a token this endpoint issued for `audience` and still valid, or None."""
        pieces = token.split(".")
        if len(pieces) != 3:
            return None
        expected = hmac.new(self.key, f"{pieces[0]}.{pieces[1]}".encode(), hashlib.sha256)
        if not hmac.compare_digest(_b64(expected.digest()), pieces[2]):
            return None
        claims: dict[str, Any] = json.loads(_unb64(pieces[1]))
        if claims.get("aud") != audience or claims.get("exp", 0) < time.time():
            return None
        return claims

    def handle(self, handler: _Handler, method: str, body: bytes) -> None:
        parts = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.requests.append(
            {
                "method": method,
                "path": parts.path,
                **query,
                "auth": handler.headers["Authorization"],
            }
        )
        if handler.headers.get("Authorization") != f"bearer {self.request_token}":
            handler.reply_json(401, {"message": "Unauthorized"})
            return
        if self.status != 200:
            handler.reply_json(self.status, {"message": "Internal error"})
            return
        if method != "GET" or query.get("api-version") != "2.0" or not query.get("audience"):
            handler.reply_json(400, {"message": "Bad request"})
            return
        token = self.jwt(query["audience"])
        self.issued.append(token)
        handler.reply_json(200, {"count": len(token), "value": token})


@dataclass
class FakePyPI:
    """Warehouse's Trusted Publishing endpoints in front of a real upstream index."""

    github: FakeGitHubOIDC
    publisher: Publisher = field(default_factory=Publisher)
    upstream: str = ""
    upstream_login: tuple[str, str] = ("", "")
    audience: str = "pypi"
    audience_status: int = 200
    mint_outage: bool = False
    api_tokens: set[str] = field(default_factory=set)
    base: str = ""
    minted: list[str] = field(default_factory=list)
    mint_requests: list[bytes] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)

    @contextmanager
    def running(self) -> Iterator[FakePyPI]:
        """Serve on a free loopback port for the `with` block."""
        with _serve(self) as base:
            self.base = base
            yield self

    @property
    def upload_url(self) -> str:
        """Where twine uploads (Warehouse's legacy upload API)."""
        return f"{self.base}/legacy/"

    def handle(self, handler: _Handler, method: str, body: bytes) -> None:
        path = urllib.parse.urlsplit(handler.path).path
        if path == "/_/oidc/audience" and method == "GET":
            self._audience(handler)
        elif path == "/_/oidc/mint-token" and method == "POST":
            self.mint_requests.append(body)
            self._mint(handler, body)
        elif path == "/legacy/" and method == "POST":
            self._upload(handler, body)
        elif method in {"GET", "HEAD"} and self.upstream:
            self._forward(handler, method, handler.path, b"", {})
        else:
            handler.reply(404, b"Not Found", "text/plain")

    def _audience(self, handler: _Handler) -> None:
        if self.audience_status != 200:
            handler.reply(self.audience_status, b"<h1>Forbidden</h1>", "text/html")
            return
        handler.reply_json(200, {"audience": self.audience})

    def _mint(self, handler: _Handler, body: bytes) -> None:
        if self.mint_outage:
            handler.reply(503, b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        try:
            payload = json.loads(body)
            token = payload["token"]
        except (ValueError, KeyError, TypeError):
            self._refuse(handler, "invalid-payload", "malformed JSON payload")
            return
        claims = self.github.verify(token, self.audience) if isinstance(token, str) else None
        if claims is None:
            self._refuse(handler, "invalid-token", "could not verify the OIDC token")
            return
        if claims != {**claims, **self.publisher.claims(claims["ref"])}:
            self._refuse(
                handler,
                "invalid-publisher",
                "valid token, but no corresponding publisher (Publisher with matching claims "
                "was not found)",
            )
            return
        minted = "pypi-" + _b64(secrets.token_bytes(48))
        self.minted.append(minted)
        handler.reply_json(
            200, {"success": True, "token": minted, "expires": int(time.time()) + 900}
        )

    def _refuse(self, handler: _Handler, code: str, description: str) -> None:
        message = "Token request failed"
        handler.reply_json(
            422, {"message": message, "errors": [{"code": code, "description": description}]}
        )

    def _upload(self, handler: _Handler, body: bytes) -> None:
        auth = handler.headers.get("Authorization", "")
        scheme, _, encoded = auth.partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            user, password = "", ""
        allowed = set(self.minted) | self.api_tokens
        if scheme.lower() != "basic" or user != "__token__" or password not in allowed:
            handler.reply(403, b"Invalid or non-existent authentication information.", "text/plain")
            return
        self.uploads.append(password)
        login = ":".join(self.upstream_login).encode()
        headers = {
            "Content-Type": handler.headers["Content-Type"],
            "Authorization": "Basic " + base64.b64encode(login).decode(),
        }
        self._forward(handler, "POST", "/", body, headers)

    def _forward(
        self, handler: _Handler, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> None:
        url = self.upstream.rstrip("/") + path
        request = urllib.request.Request(url, data=body or None, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                status, data = response.status, response.read()
                content_type = response.headers.get("Content-Type", "text/plain")
        except urllib.error.HTTPError as exc:
            with exc:  # an unclosed error response leaks its socket
                status, data = exc.code, exc.read()
                content_type = exc.headers.get("Content-Type", "text/plain")
        handler.reply(status, data, content_type)


@contextmanager
def trusted_publishing(
    publisher: Publisher | None = None, *, upstream: str = "", login: tuple[str, str] = ("", "")
) -> Iterator[tuple[FakeGitHubOIDC, FakePyPI]]:
    """Both fakes, running; the GitHub run's claims match `publisher` unless changed."""
    chosen = publisher or Publisher()
    github = FakeGitHubOIDC(publisher=Publisher(**vars(chosen)))
    pypi = FakePyPI(github=github, publisher=chosen, upstream=upstream, upstream_login=login)
    with github.running(), pypi.running():
        yield github, pypi
