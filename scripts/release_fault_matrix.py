"""Kill `releasekit release` at every kill point with every signal, then --continue or --abort.

Usage: .venv/bin/python scripts/release_fault_matrix.py [--only SUBSTRING] [--keep]

Runs every case of tests/fault_harness.py (kill points x SIGTERM/SIGKILL x process/process
group x --continue/--abort) on fresh copies of one repository and prints, per case, how
it ended, then the counts: survived / attempted. A case survives when it ends exactly as
an uninterrupted release leaves the repository and its remote, or exactly as it started.
Exits 1 if any case did not survive.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fault_harness import all_cases, make_template, reference, run_case


def main() -> int:
    """Run the matrix and print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--keep", action="store_true", help="keep the case directories")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="releasekit-faults-"))
    started = time.monotonic()
    try:
        template = make_template(root / "template")
        released = reference(template, root / "reference")
        counts: collections.Counter[str] = collections.Counter()
        attempted = survived = 0
        for case in all_cases():
            if args.only not in case.name:
                continue
            outcome = run_case(case, template, root / case.name.replace(":", "_"), released)
            attempted += 1
            survived += outcome.survived
            counts[outcome.ended] += 1
            print(f"{case.name:40} {outcome.ended:9} {outcome.detail}", flush=True)
            if not outcome.survived:
                for line in outcome.log:
                    print(f"    {line}")
        print(
            f"\nsurvived {survived} / attempted {attempted} "
            f"(ended released: {counts['released']}, original: {counts['original']}, "
            f"broken: {counts['BROKEN']}) in {time.monotonic() - started:.0f} s"
        )
        return 0 if survived == attempted else 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
