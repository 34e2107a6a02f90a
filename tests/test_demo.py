"""The README's main job, run for real: release, build, test, publish, install back, run."""

from __future__ import annotations

import subprocess
import sys

import pytest
from publish_support import with_real_caches

pytestmark = pytest.mark.slow


def test_demo_runs_every_step_offline_but_for_registries() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "releasekit.demo"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=with_real_caches(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for step in (
        "release 1.0.0 (commit, tag, push to the local bare remote): ok",
        "the remote holds tag(s): v1.0.0",
        "build sdist and wheel, write SHA256SUMS: ok",
        "test the built wheel in a fresh venv: ok",
        "publish --dry-run: ok",
        "publish to the local index: ok",
        "skipping releasekit_sample-1.0.0-py3-none-any.whl: already on the index, identical sha256",
        "verify what the index serves (sha256 vs SHA256SUMS, provenance, install): ok",
        "sha256 ok: releasekit_sample-1.0.0-py3-none-any.whl",
        "verified releasekit-sample 1.0.0: every check passed",
        "run the installed release: ok",
        "hello from releasekit-sample 1.0.0",
        "demo finished",
    ):
        assert step in out
    assert "would upload" in out
