"""The README's main job: releasekit at work on a sample project in a temporary directory."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

SAMPLE_FILES = {
    "pyproject.toml": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "releasekit-sample"\nversion = "0.9.0"  # released by releasekit\n'
    ),
    "src/releasekit_sample/__init__.py": '"""A sample."""\n\n__version__ = "0.9.0"\n',
}

STEPS: tuple[tuple[str, ...], ...] = (
    ("version", "--verbose"),
    ("tag-version", "v1.0.0-rc.1"),
    ("bump", "major", "--pre", "rc", "--dry-run"),
    ("bump", "major", "--pre", "rc"),
    ("check-tag", "v1.0.0-rc.1"),
    ("bump", "release"),
    ("version",),
)


def make_sample(root: Path) -> None:
    """Write the sample project under `root`."""
    for name, text in SAMPLE_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main() -> int:
    """Run each step through the `releasekit` command line and print what it said."""
    with tempfile.TemporaryDirectory(prefix="releasekit-demo-") as tmp:
        root = Path(tmp)
        make_sample(root)
        print(f"sample project in {root}")
        for step in STEPS:
            result = subprocess.run(
                [sys.executable, "-m", "releasekit", *step],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
            print(f"$ releasekit {' '.join(step)}   [exit {result.returncode}]")
            for line in (result.stdout + result.stderr).splitlines():
                print(f"    {line}")
            if result.returncode != 0:
                return result.returncode
        print("demo finished: every step succeeded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
