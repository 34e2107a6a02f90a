"""Helpers for the publishing tests: a sample release in dist/, and a fault-injecting proxy."""

from __future__ import annotations

import http.client
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import SIMPLE_PYPROJECT, GitRepo, write_files
from loopback import running

from releasekit.localindex import LocalIndex, local_index

SAMPLE_FILES = {
    "pyproject.toml": SIMPLE_PYPROJECT,
    "src/sample/__init__.py": '"""Sample."""\n',
}


def build_sample(where: Path) -> Path:
    """Build the sample project (hatchling via uv) into `where`/dist with its SHA256SUMS."""
    source = where / "source"
    write_files(source, SAMPLE_FILES)
    dist = where / "dist"
    subprocess.run(
        ["uv", "build", "-q", "--out-dir", str(dist), str(source)],
        check=True,
        timeout=300,
        env=with_real_caches(),
    )
    write_sums(dist)
    return dist


def write_sums(dist: Path) -> None:
    """Write SHA256SUMS for every wheel and sdist in `dist` (as `releasekit build` does)."""
    import hashlib

    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
        for p in sorted(dist.iterdir())
        if p.name.endswith((".whl", ".tar.gz"))
    ]
    (dist / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def add_dist(repo: GitRepo, dist: Path) -> Path:
    """Copy the built files into the repository's dist/ (untracked, as after a build)."""
    target = repo.path / "dist"
    shutil.copytree(dist, target)
    return target


def index_state(packages: Path) -> dict[str, bytes]:
    """Every file the local index holds, with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(packages.iterdir()) if p.is_file()}


@dataclass
class Faults:
    """What the proxy does to each upload (POST), in order: an int status, 'reset',
    'store-then-reset' (forwarded, then the connection dropped), or None (forwarded)."""

    posts: list[int | str | None] = field(default_factory=list)
    reason: str = "Service Unavailable"
    body: str = ""
    seen_posts: int = 0
    default: int | str | None = None


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True
    upstream: str
    faults: Faults


class _Handler(BaseHTTPRequestHandler):
    server: _Proxy
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _forward(self, method: str, body: bytes, *, answer: bool = True) -> None:
        up = urlsplit(self.server.upstream)
        conn = http.client.HTTPConnection(up.hostname or "", up.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        conn.request(method, self.path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if not answer:
            conn.close()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    def do_GET(self) -> None:
        self._forward("GET", b"")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        faults = self.server.faults
        faults.seen_posts += 1
        fault = faults.posts.pop(0) if faults.posts else faults.default
        if fault is None:
            self._forward("POST", body)
        elif fault == "store-then-reset":  # the index keeps the file; the answer is lost
            self._forward("POST", body, answer=False)
        elif fault == "reset":
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            data = faults.body.encode()
            self.send_response(int(fault), faults.reason)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)


@contextmanager
def fault_proxy(upstream: str, faults: Faults) -> Iterator[str]:
    """A loopback proxy in front of `upstream` that injects `faults` into uploads."""
    server = _Proxy(("127.0.0.1", 0), _Handler)
    server.upstream = upstream
    server.faults = faults
    with running(server) as url:
        yield url


@pytest.fixture(scope="session")
def sample_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project's wheel, sdist and SHA256SUMS, built once per test session."""
    return build_sample(tmp_path_factory.mktemp("sample-build"))


@pytest.fixture
def released(make_repo: Any, sample_dist: Path) -> GitRepo:
    """A real repository of the sample at 1.2.0, with the built files in its dist/."""
    repo: GitRepo = make_repo({**SAMPLE_FILES, ".gitignore": "dist/\n"})
    add_dist(repo, sample_dist)
    return repo


@pytest.fixture
def index() -> Iterator[LocalIndex]:
    """A running embedded local index."""
    with local_index() as running:
        yield running


def with_real_caches() -> dict[str, str]:
    """The environment with uv's and pip's real caches (HOME is isolated by conftest)."""
    import os

    from buildsample import CACHES

    return {**os.environ, **CACHES}
