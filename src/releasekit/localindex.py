"""The embedded local package index: a pypiserver on 127.0.0.1 with a generated password.

`--repository local`, the demo and the tests upload here. pypiserver (with passlib, which
it needs to read an htpasswd file) is not a runtime dependency of releasekit: the demo
session installs it, and without it `--repository local` fails with one line saying so.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from releasekit.errors import PublishError
from releasekit.timeouts import VARIABLES, limits

USERNAME = "releasekit"
INSTALL_HINT = "python -m pip install 'pypiserver[passlib]'"


@dataclass(frozen=True)
class LocalIndex:
    """A running local index: where to upload, where to install from, and its login."""

    url: str
    packages: Path
    username: str
    password: str = field(repr=False)

    @property
    def upload_url(self) -> str:
        """The URL twine uploads to (pypiserver takes uploads at its root)."""
        return self.url

    @property
    def index_url(self) -> str:
        """The PEP 503 simple index that pip and uv install from."""
        return f"{self.url}simple/"


def require_pypiserver() -> None:
    """Fail with one line unless pypiserver and passlib can be imported here."""
    missing = [name for name in ("pypiserver", "passlib") if importlib.util.find_spec(name) is None]
    if missing:
        msg = (
            f"the embedded local index needs {' and '.join(missing)}, which is not installed; "
            f"run {INSTALL_HINT!r} (the demo session does this for you)"
        )
        raise PublishError(msg)


def write_htpasswd(path: Path, username: str, password: str) -> None:
    """Write an Apache htpasswd file (apr1-MD5, Apache's default) readable by its owner only."""
    with warnings.catch_warnings():
        # passlib imports the deprecated `crypt` module; it falls back to pure Python.
        warnings.simplefilter("ignore")
        from passlib.hash import apr_md5_crypt  # noqa: PLC0415 - optional dependency

    line = f"{username}:{apr_md5_crypt.hash(password)}\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as stream:
        stream.write(line)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def local_index(
    packages: Path | None = None, *, username: str = USERNAME, password: str | None = None
) -> Iterator[LocalIndex]:
    """Run a pypiserver on a free loopback port for the duration of the `with` block.

    Uploads need the generated login; listing and downloading do not. Files are kept in
    `packages` (a temporary directory, removed afterwards, when not given). The password
    is generated unless given (tests give one to see where it might leak).
    """
    require_pypiserver()
    with tempfile.TemporaryDirectory(prefix="releasekit-index-") as tmp:
        home = Path(tmp)
        store = packages if packages is not None else home / "packages"
        store.mkdir(parents=True, exist_ok=True)
        password = password or secrets.token_urlsafe(24)
        htpasswd = home / "htpasswd"
        write_htpasswd(htpasswd, username, password)
        log = home / "server.log"
        wait = limits().index_start
        for _attempt in range(3):  # another process may take the port between probe and bind
            port = free_port()
            url = f"http://127.0.0.1:{port}/"
            process = _start(port, htpasswd, store, log)
            try:
                if _wait_ready(process, url, wait):
                    yield LocalIndex(url=url, packages=store, username=username, password=password)
                    return
            finally:
                _stop(process)
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        msg = (
            f"the local index (pypiserver) did not start within {wait:g}s "
            f"({VARIABLES['index_start']}): {' '.join(tail) or 'no output'}"
        )
        raise PublishError(msg)


def _start(port: int, htpasswd: Path, store: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "pypiserver",
        "run",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--passwords",
        str(htpasswd),
        "--authenticate",
        "update",
        "--disable-fallback",
        "--hash-algo",
        "sha256",
        "--server",
        "wsgiref",
        str(store),
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    with log.open("ab") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)


def _wait_ready(process: subprocess.Popen[bytes], url: str, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}health", timeout=2):  # noqa: S310 - loopback http
                return True
        except urllib.error.HTTPError as exc:
            exc.close()  # an HTTPError holds the open response
            time.sleep(0.1)
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
