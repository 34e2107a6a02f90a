"""Time `releasekit init --dry-run` on a repository with many release tags (one git call)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PYPROJECT = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
PYPROJECT += '[project]\nname = "sample"\nversion = "1.0.0"\n'


def main(tags: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text(PYPROJECT)

        def git(*args: str, stdin: str | None = None) -> None:
            subprocess.run(["git", *args], cwd=root, check=True, input=stdin, text=True)

        git("init", "-q", "-b", "main")
        git("-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "--allow-empty", "-m", "i")
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        refs = "".join(f"create refs/tags/v0.{n // 100}.{n % 100} {head}\n" for n in range(tags))
        git("update-ref", "--stdin", stdin=refs)
        git("pack-refs", "--all")
        best = min(_timed(root) for _ in range(3))
        print(f"{tags} tags: releasekit init --dry-run {best:.3f} s (best of 3)")


def _timed(root: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "releasekit"), "init", "--dry-run", "--requirement", "releasekit==1.0.0"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


if __name__ == "__main__":
    for count in (10, 1000, 10000):
        main(count)
