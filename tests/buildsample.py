"""Small projects for the build and wheel-test tests: a real hatchling one and a fault injector."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# The autouse fixture points HOME at a fresh directory; keep uv's and pip's real caches so
# repeated isolated builds and installs reuse what PyPI sent before.
_HOME = Path.home()
CACHES = {
    "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR") or str(_HOME / ".cache" / "uv"),
    "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(_HOME / ".cache" / "pip"),
}


def use_real_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point uv and pip at the caches they had before HOME was isolated."""
    for name, value in CACHES.items():
        monkeypatch.setenv(name, value)


SAMPLE_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "sample"
version = "1.2.0"
description = "A sample project for releasekit's build tests."
readme = "README.md"
requires-python = ">=3.11"

[dependency-groups]
test = ["pytest"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = ["--strict-markers"]
"""

SAMPLE_INIT = '''\
"""A sample package."""

__version__ = "1.2.0"


def answer() -> int:
    """The answer."""
    return 42
'''

SAMPLE_TEST = """\
import sample


def test_answer():
    assert sample.answer() == 42
"""


def sample_files(**extra: str) -> dict[str, str | bytes]:
    """A small hatchling project with a one-test suite of its own."""
    return {
        "pyproject.toml": SAMPLE_PYPROJECT,
        "README.md": "# Sample\n\nA sample project.\n",
        ".gitignore": "dist/\n__pycache__/\n",
        "src/sample/__init__.py": SAMPLE_INIT,
        "tests/test_sample.py": SAMPLE_TEST,
        **extra,
    }


FAKE_PYPROJECT = """\
[build-system]
requires = []
build-backend = "fakebackend"
backend-path = ["_backend"]

[project]
name = "sample"
version = "1.2.0"
"""

# A PEP 517 backend that builds exactly what fake.json says: the fault injector.
FAKE_BACKEND = """\
import io
import json
import os
import tarfile
import zipfile


def _conf():
    with open("fake.json", encoding="utf-8") as stream:
        return json.load(stream)


def _metadata(conf):
    text = f"Metadata-Version: 2.1\\nName: sample\\nVersion: {conf['meta_version']}\\nSummary: s\\n"
    if conf.get("description", True):
        text += "Description-Content-Type: text/markdown\\n\\n# Sample\\n"
    return text.encode()


def build_sdist(sdist_directory, config_settings=None):
    conf = _conf()
    if conf.get("fail"):
        raise RuntimeError(conf["fail"])
    base = f"sample-{conf['file_version']}"
    with tarfile.open(os.path.join(sdist_directory, base + ".tar.gz"), "w:gz") as tar:
        for name in ("pyproject.toml", "fake.json", "_backend/fakebackend.py"):
            tar.add(name, arcname=f"{base}/{name}")
        data = _metadata(conf)
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return base + ".tar.gz"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    conf = _conf()
    base = f"sample-{conf['file_version']}"
    name = f"{base}-py3-none-any.whl"
    wheel_conf = dict(conf, meta_version=conf.get("wheel_meta_version", conf["meta_version"]))
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as archive:
        archive.writestr("sample/__init__.py", "")
        archive.writestr(f"{base}.dist-info/METADATA", _metadata(wheel_conf))
        archive.writestr(
            f"{base}.dist-info/WHEEL",
            "Wheel-Version: 1.0\\nGenerator: fake\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
        )
        archive.writestr(f"{base}.dist-info/RECORD", "")
    return name
"""


def fake_files(**conf: object) -> dict[str, str | bytes]:
    """A project whose in-tree backend builds what `conf` says (no download needed)."""
    settings = {"file_version": "1.2.0", "meta_version": "1.2.0", **conf}
    return {
        "pyproject.toml": FAKE_PYPROJECT,
        "fake.json": json.dumps(settings),
        "_backend/fakebackend.py": FAKE_BACKEND,
        ".gitignore": "dist/\n__pycache__/\n",
    }
