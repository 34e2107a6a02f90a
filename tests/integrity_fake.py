"""A loopback index that speaks PyPI's PEP 691 JSON simple API and its Integrity API.

PyPI-only behaviour cannot run here, so this serves it on 127.0.0.1 with PyPI's wire format
(docs.pypi.org/api/integrity/, PEP 740, the `pypi-attestations` models):

- ``GET /simple/<project>/`` answers `application/vnd.pypi.simple.v1+json` whose file
  entries carry PEP 740's ``provenance`` key: the Integrity API URL, or ``null`` when the
  file was uploaded without attestations;
- ``GET /integrity/<project>/<version>/<filename>/provenance`` answers a provenance
  object (``{"version": 1, "attestation_bundles": [{"publisher": …, "attestations": […]}]}``)
  or HTTP 404 ``{"message": "No provenance available for <filename>"}``;
- ``GET /files/<filename>`` serves the bytes.

The attestations are shaped like real ones (an in-toto statement naming the file and its
sha256, PyPI's publish predicate) but signed by nobody: they parse, they do not verify.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from loopback import running
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
INTEGRITY_JSON = "application/vnd.pypi.integrity.v1+json"


def github_publisher(repository: str, workflow: str = "release.yml") -> dict[str, Any]:
    """A GitHub Trusted Publisher as the Integrity API names it."""
    return {
        "kind": "GitHub",
        "repository": repository,
        "workflow": workflow,
        "environment": "pypi",
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def attestation(name: str, digest: str) -> dict[str, Any]:
    """An attestation object for one file: the right shape, no valid signature."""
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": digest}}],
        "predicateType": "https://docs.pypi.org/attestations/publish/v1",
        "predicate": None,
    }
    return {
        "version": 1,
        "verification_material": {
            "certificate": _b64(b"not a certificate"),
            "transparency_entries": [{"logIndex": "1", "kindVersion": {"kind": "dsse"}}],
        },
        "envelope": {
            "statement": _b64(json.dumps(statement).encode()),
            "signature": _b64(b"not a signature"),
        },
    }


@dataclass
class Served:
    """The index's files and, per file name, the publisher of its attestation (or None)."""

    files: dict[str, bytes]
    publishers: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @classmethod
    def from_dist(
        cls, dist: Path, publishers: Mapping[str, dict[str, Any] | None] | None = None
    ) -> Served:
        """Serve the wheel and sdist in `dist`; `publishers` maps a suffix to a publisher."""
        files = {
            p.name: p.read_bytes() for p in dist.iterdir() if p.name.endswith((".whl", ".tar.gz"))
        }
        chosen: dict[str, dict[str, Any] | None] = {}
        for name in files:
            for suffix, publisher in (publishers or {}).items():
                if name.endswith(suffix):
                    chosen[name] = publisher
        return cls(files, chosen)


def _name_version(filename: str) -> tuple[str, str]:
    if filename.endswith(".whl"):
        name, version, _, _ = parse_wheel_filename(filename)
    else:
        name, version = parse_sdist_filename(filename)
    return str(canonicalize_name(name)), str(version)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    served: Served


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: object, content_type: str) -> None:
        self._send(status, json.dumps(data).encode(), content_type)

    def do_GET(self) -> None:
        served = self.server.served
        served.requests.append(self.path)
        parts = [unquote(p) for p in self.path.split("?")[0].strip("/").split("/")]
        if len(parts) == 2 and parts[0] == "simple":
            self._simple(parts[1])
        elif len(parts) == 2 and parts[0] == "files" and parts[1] in served.files:
            self._send(200, served.files[parts[1]], "application/octet-stream")
        elif len(parts) == 5 and parts[0] == "integrity" and parts[4] == "provenance":
            self._provenance(parts[3])
        else:
            self._json(404, {"message": "Not Found"}, "application/json")

    def _simple(self, project: str) -> None:
        served = self.server.served
        mine = sorted(n for n in served.files if _name_version(n)[0] == canonicalize_name(project))
        if not mine:
            self._json(404, {"message": "Not Found"}, "application/json")
            return
        entries = []
        for name in mine:
            data = served.files[name]
            _, version = _name_version(name)
            has = served.publishers.get(name) is not None
            entries.append(
                {
                    "filename": name,
                    "url": f"/files/{name}",
                    "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                    "requires-python": ">=3.11",
                    "size": len(data),
                    "upload-time": "2026-01-01T00:00:00.000000Z",
                    "yanked": False,
                    "provenance": (
                        f"/integrity/{canonicalize_name(project)}/{version}/{name}/provenance"
                        if has
                        else None
                    ),
                }
            )
        page = {
            "meta": {"api-version": "1.3"},
            "name": str(canonicalize_name(project)),
            "versions": sorted({_name_version(n)[1] for n in mine}),
            "files": entries,
        }
        self._json(200, page, SIMPLE_JSON)

    def _provenance(self, filename: str) -> None:
        served = self.server.served
        publisher = served.publishers.get(filename)
        if filename not in served.files or publisher is None:
            self._json(404, {"message": f"No provenance available for {filename}"}, INTEGRITY_JSON)
            return
        digest = hashlib.sha256(served.files[filename]).hexdigest()
        provenance = {
            "version": 1,
            "attestation_bundles": [
                {"publisher": publisher, "attestations": [attestation(filename, digest)]}
            ],
        }
        self._json(200, provenance, INTEGRITY_JSON)


@contextmanager
def integrity_index(served: Served) -> Iterator[str]:
    """Serve `served` on 127.0.0.1; yield the base URL (its simple index is `<url>simple/`)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.served = served
    with running(server) as url:
        yield url
