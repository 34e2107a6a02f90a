"""Time `releasekit release X --no-push` against peers and plain git on synthetic history.

Usage: .venv/bin/python benchmarks/bench_release.py [--commits 2000,20000,200000] [--runs 5]

Builds repositories with `git fast-import` (N commits, 2,000 annotated tags, a 16,000-line
changelog, a local bare origin) under benchmarks/.work/, then times each tool doing the same
bump + commit + annotated tag (median of --runs, each on a fresh copy): wall-clock time
and CPU time (user + system of the tool and its children; steadier on a busy machine).
Peers run from benchmarks/.work/venv if installed there (tbump, bump-my-version, commitizen).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
WORK = HERE / ".work"
PEERS = WORK / "venv" / "bin"
RELEASEKIT = Path(sys.executable).parent / "releasekit"

PYPROJECT = """\
[project]
name = "synthetic"
version = "1.0.0"

[tool.tbump.version]
current = "1.0.0"
regex = '(?P<major>\\d+)\\.(?P<minor>\\d+)\\.(?P<patch>\\d+)'

[tool.tbump.git]
message_template = "Release {new_version}"
tag_template = "v{new_version}"

[[tool.tbump.file]]
src = "pyproject.toml"
search = 'version = "{current_version}"'

[[tool.tbump.file]]
src = "src/synthetic/__init__.py"

[tool.bumpversion]
current_version = "1.0.0"
commit = true
tag = true
sign_tags = false
tag_name = "v{new_version}"
tag_message = "Release {new_version}"
message = "Release {new_version}"
allow_dirty = false

[[tool.bumpversion.files]]
filename = "pyproject.toml"
search = 'version = "{current_version}"'
replace = 'version = "{new_version}"'

[[tool.bumpversion.files]]
filename = "src/synthetic/__init__.py"

[[tool.bumpversion.files]]
filename = "CHANGELOG.md"
search = "## [Unreleased]"
replace = "## [Unreleased]\\n\\n## [{new_version}] - {now:%Y-%m-%d}"

[tool.commitizen]
name = "cz_conventional_commits"
version_provider = "pep621"
tag_format = "v$version"
version_files = ["src/synthetic/__init__.py"]
annotated_tag = true
"""


def changelog(lines: int) -> str:
    out = ["# Changelog", "", "## [Unreleased]", "", "### Added", "", "- A new thing.", ""]
    minor = 0
    while len(out) < lines:
        out += [f"## [0.{minor}.0] - 2020-01-01", "", "### Fixed", "", "- A fix.", "- Another.", ""]
        minor += 1
    return "\n".join(out) + "\n"


def fast_import_stream(commits: int, tags: int, log: str) -> bytes:
    chunks: list[bytes] = []

    def blob(mark: int, data: bytes) -> None:
        chunks.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))

    files = {
        "pyproject.toml": PYPROJECT.encode(),
        "src/synthetic/__init__.py": b'__version__ = "1.0.0"\n',
        "CHANGELOG.md": log.encode(),
    }
    for index, data in enumerate(files.values(), start=1):
        blob(index, data)
    every = max(1, commits // tags)
    for n in range(1, commits + 1):
        message = b"feat: change %d\n" % n
        chunks.append(b"commit refs/heads/main\nmark :%d\n" % (n + 10))
        chunks.append(b"committer B <b@example.invalid> %d +0000\n" % (1_600_000_000 + n))
        chunks.append(b"data %d\n%s" % (len(message), message))
        if n == 1:
            for index, name in enumerate(files, start=1):
                chunks.append(b"M 100644 :%d %s\n" % (index, name.encode()))
        counter = b"%d\n" % n
        chunks.append(b"M 100644 inline counter.txt\ndata %d\n%s\n" % (len(counter), counter))
        if n % every == 0 and n // every <= tags:
            tag_name = b"v0.%d.0" % (n // every)
            chunks.append(b"tag %s\nfrom :%d\n" % (tag_name, n + 10))
            # Tagged when the commit was made, as a release is (not all in one second).
            when = 1_600_000_000 + n
            chunks.append(b"tagger B <b@example.invalid> %d +0000\ndata 4\nold\n\n" % when)
    return b"".join(chunks)


def build(commits: int, tags: int = 2000, lines: int = 16000) -> Path:
    template = WORK / f"repo-{commits}-v2"  # v2: each tag dated with its commit
    if (template / ".git").is_dir():
        return template
    shutil.rmtree(template, ignore_errors=True)
    origin = WORK / f"repo-{commits}-v2-origin.git"
    shutil.rmtree(origin, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(template)], check=True)
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=template,
        input=fast_import_stream(commits, tags, changelog(lines)),
        check=True,
    )
    subprocess.run(["git", "checkout", "-q", "main"], cwd=template, check=True)
    subprocess.run(["git", "gc", "-q"], cwd=template, check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(template), str(origin)], check=True)
    for key, value in (("user.name", "Bench"), ("user.email", "b@example.invalid")):
        subprocess.run(["git", "config", key, value], cwd=template, check=True)
    subprocess.run(["git", "remote", "add", "origin", str(origin)], cwd=template, check=True)
    subprocess.run(["git", "fetch", "-q", "origin"], cwd=template, check=True)
    return template


FLOOR = (
    'sed -i \'s/^version = "1.0.0"/version = "1.1.0"/\' pyproject.toml && '
    "sed -i 's/1.0.0/1.1.0/' src/synthetic/__init__.py && "
    "sed -i 's/^## \\[Unreleased\\]/## [Unreleased]\\n\\n## [1.1.0] - 2026-01-01/' CHANGELOG.md && "
    "git commit -qam 'Release 1.1.0' && git tag -a -m 'Release 1.1.0' v1.1.0"
)


def tools() -> dict[str, list[str]]:
    found = {
        "releasekit release --no-push": [
            str(RELEASEKIT), "release", "1.1.0", "--no-push", "--date", "2026-01-01",
        ],
        "plain git (floor)": ["sh", "-c", FLOOR],
        # What releasekit's libraries cost before it does any work: the import of invoke
        # (its door), gitpython (its git), tomlkit, packaging and filelock; then without
        # invoke, and without both (what a release would cost with neither).
        "import floor (invoke, gitpython, tomlkit, packaging, filelock)": [
            sys.executable, "-c", "import invoke, git, tomlkit, packaging.version, filelock",
        ],
        "import floor without invoke": [
            sys.executable, "-c", "import git, tomlkit, packaging.version, filelock",
        ],
        "import floor without invoke and gitpython": [
            sys.executable, "-c", "import tomlkit, packaging.version, filelock",
        ],
        "python -c pass": [sys.executable, "-c", "pass"],
    }  # fmt: skip
    if (PEERS / "tbump").exists():
        found["tbump (no changelog)"] = [
            str(PEERS / "tbump"), "1.1.0", "--non-interactive", "--no-push",
        ]  # fmt: skip
    if (PEERS / "bump-my-version").exists():
        found["bump-my-version (+changelog line)"] = [
            str(PEERS / "bump-my-version"), "bump", "--new-version", "1.1.0",
        ]  # fmt: skip
    if (PEERS / "cz").exists():
        found["cz bump --changelog"] = [
            str(PEERS / "cz"), "bump", "--yes", "--changelog", "--increment", "MINOR",
        ]  # fmt: skip
    return found


def time_once(template: Path, command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the command and its children) of one run."""
    work = WORK / "run"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(template, work, symlinks=True)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(WORK)}
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)
    if result.returncode != 0:
        print(f"  FAILED {command[0]}: {result.stderr.strip()[-300:]}", file=sys.stderr)
        return float("nan"), float("nan")
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", default="2000,20000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    # Every tool gets compiled bytecode (PYTHONDONTWRITEBYTECODE would otherwise make each
    # run compile its sources again, which is not what users see).
    compile_all = (
        "import compileall, sys; [compileall.compile_dir(p, quiet=1) for p in sys.path[1:]]"
    )
    for python in (Path(sys.executable), PEERS / "python"):
        if python.exists():
            subprocess.run([str(python), "-c", compile_all], check=False, capture_output=True)
    sizes = [int(n) for n in args.commits.split(",")]
    print(f"| tool | {' | '.join(f'{n:,} commits' for n in sizes)} |")
    print(f"|---|{'---|' * len(sizes)}")
    templates = {n: build(n) for n in sizes}
    for name, command in tools().items():
        cells = []
        for n in sizes:
            runs = [time_once(templates[n], command) for _ in range(args.runs)]
            wall = statistics.median(run[0] for run in runs)
            cpu = statistics.median(run[1] for run in runs)
            cells.append(f"{wall:.3f} s ({cpu:.3f} s CPU)")
        print(f"| {name} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
