"""A hostile index on loopback for the canary matrix: it echoes the secret it is sent.

It stands in front of a real pypiserver. Reads (GET) are forwarded, unless the scenario
makes the index page fail; uploads (POST) are answered as the scenario says, and every
answer echoes the password of the request's HTTP Basic credentials, the raw
Authorization header and a canary in the status line's reason phrase and in the body,
the body's copy placed at a chosen distance from the start (to straddle a cut).
A successful upload is forwarded with the real index's own login in place of ours.
"""

from __future__ import annotations

import base64
import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

from loopback import running

from releasekit.localindex import LocalIndex

Upload = Literal["ok", "400", "403", "409", "503", "reset"]
Read = Literal["forward", "500", "bad-json"]


@dataclass
class Echo:
    """What the index does: to uploads, to index pages, and where the body's copy sits."""

    canary: str
    upload: Upload = "ok"
    read: Read = "forward"
    offset: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream: LocalIndex
    echo: Echo


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _said(self) -> str:
        header = self.headers.get("Authorization", "")
        password = ""
        if header.startswith("Basic "):
            decoded = base64.b64decode(header.removeprefix("Basic ")).decode("utf-8", "replace")
            password = decoded.partition(":")[2]
        return f"{password} {header} {self.server.echo.canary}"

    def _answer(self, status: int, kind: str, *, json: bool = False) -> None:
        said = self._said()
        echo = self.server.echo
        # One copy where the scenario puts it (a cut at 300 characters falls across it), more
        # after it; no markup and no whitespace before it, so its place survives flattening.
        body = "x" * echo.offset + echo.canary + f" {kind}: {said} " + said * 3
        if json:
            body = '{"files": [' + body  # not JSON
        data = body.encode()
        self.send_response(status, f"{echo.canary} {kind} {said}")
        kind_of = "application/vnd.pypi.simple.v1+json" if json else "text/plain"
        self.send_header("Content-Type", kind_of)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _forward(self, method: str, body: bytes) -> None:
        upstream = self.server.upstream
        parts = urlsplit(upstream.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        dropped = {"host", "authorization"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
        if method == "POST":
            login = f"{upstream.username}:{upstream.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(login).decode()
        conn.request(method, self.path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        reason = response.reason
        if method == "POST":
            reason = f"{reason} {self._said()}"  # even a success echoes it
        self.send_response(response.status, reason)
        for key, value in response.getheaders():
            if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    def do_GET(self) -> None:
        read = self.server.echo.read
        if read == "500" and "/simple/" in self.path:
            self._answer(500, "Internal Server Error")
        elif read == "bad-json" and "/simple/" in self.path:
            self._answer(200, "OK", json=True)
        else:
            self._forward("GET", b"")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        upload = self.server.echo.upload
        if upload == "ok":
            self._forward("POST", body)
        elif upload == "reset":
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            kinds = {
                "400": "Invalid value for blake2_256_digest",
                "403": "Invalid or non-existent authentication information",
                "409": "File already exists",
                "503": "Service Unavailable",
            }
            self._answer(int(upload), kinds[upload])


@contextmanager
def echo_index(upstream: LocalIndex, echo: Echo) -> Iterator[str]:
    """Serve the echoing index in front of `upstream`; yield its URL (`http://127.0.0.1:N/`)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.upstream = upstream
    server.echo = echo
    with running(server) as url:
        yield url
