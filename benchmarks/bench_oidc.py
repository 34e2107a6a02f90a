"""Time the Trusted Publishing exchange (`releasekit.oidc.mint_token`) against loopback fakes.

Usage: .venv/bin/python benchmarks/bench_oidc.py [--runs 200]

Three HTTP round trips per exchange (audience, GitHub token, mint) to the fakes in
tests/oidc_fakes.py on 127.0.0.1; this measures releasekit's own overhead, not PyPI's.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from oidc_fakes import trusted_publishing

from releasekit.oidc import mint_token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    with trusted_publishing() as (github, pypi):
        environ = github.environ()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            mint_token(pypi.upload_url, environ, out=io.StringIO())
            times.append(time.perf_counter() - start)
    times.sort()
    print(
        f"mint_token x{runs}: median {statistics.median(times) * 1000:.2f} ms, "
        f"p95 {times[int(len(times) * 0.95) - 1] * 1000:.2f} ms, max {times[-1] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
