"""Time the changelog engine: promote, check and notes on big files; draft on long histories.

Usage: .venv/bin/python benchmarks/bench_changelog.py [--sizes 1,2.5,5,10] \
    [--lines 16000] [--old ffeafe2] [--commits 1000,10000,100000] [--runs 7] [--write]

promote is also timed, in the same run and on the same text, with the engine as it was
before issue 11 (`--old`, a commit of this repository: its `src/releasekit/changelog.py` is
extracted with `git show` into benchmarks/.work/ and imported under another name; nothing
of it is committed). The new promote reads only the top of the file and the link block, so
its cost must stay flat while the old one grows with the file.

Changelogs are generated in memory (Keep a Changelog sections with compare links, a code
block every 50 sections); promote must grow linearly with the file's size. Repositories are
built once with `git fast-import` under benchmarks/.work/ (a tag every 1,000 commits, the
last release tag 50 commits back); draft must not grow with the history: it runs one
`git describe` and one `git log` over the 50 commits. Medians of --runs; wall time and CPU
time (this process plus the git processes it started). --write puts the tables under
"## Changelog" in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from packaging.version import Version

from releasekit import changelog, draft
from releasekit.git import Git

HERE = Path(__file__).parent
WORK = HERE / ".work"
RESULTS = HERE / "RESULTS.md"
COMMAND = "benchmarks/bench_changelog.py"
MESSAGES = (
    "feat: add option {i}",
    "fix: crash number {i}",
    "docs: explain step {i}",
    "chore: tidy up {i}",
    "Refresh the translations ({i})",
)


def make_changelog(size: int) -> tuple[str, Version]:
    """A changelog of about `size` bytes, newest first; returns it and its oldest version."""
    head = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Something new.\n\n"
    sections: list[str] = []
    refs: list[str] = ["[Unreleased]: https://github.com/example/big/compare/v{latest}...HEAD"]
    total = len(head)
    number = 0
    while total < size:
        number += 1
        sections.append(_section(number))
        refs.append(_ref(number))
        total += len(sections[-1]) + len(refs[-1]) + 1
    latest = _version(number)
    sections.reverse()
    refs[1:] = reversed(refs[1:])
    refs[0] = refs[0].format(latest=latest)
    return head + "".join(sections) + "\n".join(refs) + "\n", Version(_version(1))


def make_changelog_lines(lines: int) -> str:
    """A changelog of at least `lines` lines, in the same shape as `make_changelog`."""
    size = lines * 30
    while True:
        text, _ = make_changelog(size)
        if text.count("\n") >= lines:
            return text
        size = int(size * 1.2)


def old_engine(revision: str) -> ModuleType:
    """The changelog module of `revision`, imported as `old_changelog`."""
    source = subprocess.run(
        ["git", "show", f"{revision}:src/releasekit/changelog.py"],
        cwd=HERE.parent,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = WORK / "old_changelog.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_changelog", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_changelog"] = module
    spec.loader.exec_module(module)
    return module


def bench_promote(
    texts: list[tuple[str, str]], old: ModuleType, revision: str, runs: int
) -> list[str]:
    rows = [
        f"| file | lines | promote, old engine ({revision}) | promote, new | old / new (CPU) "
        "| new CPU per MB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    date = datetime.date(2024, 2, 3)
    version = Version("999.0.0")
    for label, text in texts:
        before = measure(functools.partial(old.promote, text, version, date=date), runs)
        after = measure(functools.partial(changelog.promote, text, version, date=date), runs)
        assert (
            old.promote(text, version, date=date).text
            == changelog.promote(text, version, date=date).text
        ), "the engines disagree"
        size = len(text.encode()) / 1_000_000
        rows.append(
            f"| {label} | {text.count(chr(10)):,} | {_fmt(before)} | {_fmt(after)} "
            f"| {before[1] / max(after[1], 1e-6):.0f}x | {after[1] / size * 1000:.1f} ms |"
        )
        print(rows[-1], flush=True)
    return rows


def _version(number: int) -> str:
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def _section(number: int) -> str:
    day = datetime.date(2000, 1, 1) + datetime.timedelta(days=number // 10)
    code = "```sh\n# a comment, not a heading\npip install big\n```\n\n" if number % 50 == 0 else ""
    return (
        f"## [{_version(number)}] - {day.isoformat()}\n\n### Added\n\n"
        f"- Support for the frobnicator in configuration files, part {number} (#{number}).\n"
        f"- A `--verbose` flag for the `export` command ([#{number + 1}]).\n\n"
        f"### Fixed\n\n- A crash when the input file is empty (#{number + 2}).\n\n{code}"
    )


def _ref(number: int) -> str:
    url = "https://github.com/example/big"
    if number == 1:
        return f"[{_version(1)}]: {url}/releases/tag/v{_version(1)}"
    return f"[{_version(number)}]: {url}/compare/v{_version(number - 1)}...v{_version(number)}"


def measure(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds (this process and its children) of `runs` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        before = _cpu()
        start = time.perf_counter()
        run()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - before)
    return statistics.median(walls), statistics.median(cpus)


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_files(sizes: list[float], runs: int) -> list[str]:
    rows = [
        "| file | sections | parse | promote | check | notes (oldest) | promote CPU per MB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    date = datetime.date(2024, 2, 3)
    for megabytes in sizes:
        text, oldest = make_changelog(int(megabytes * 1_000_000))
        sections = text.count("\n## [") - 1
        parse = measure(functools.partial(changelog.parse, text), runs)
        promote = measure(
            functools.partial(changelog.promote, text, Version("999.0.0"), date=date), runs
        )
        check = measure(functools.partial(changelog.check, text), runs)
        notes = measure(functools.partial(changelog.notes, text, oldest), runs)
        size = len(text.encode()) / 1_000_000
        rows.append(
            f"| {size:.1f} MB | {sections:,} | {_fmt(parse)} | {_fmt(promote)} | {_fmt(check)} "
            f"| {_fmt(notes)} | {promote[1] / size * 1000:.0f} ms |"
        )
        print(rows[-1], flush=True)
    return rows


def _fmt(result: tuple[float, float]) -> str:
    wall, cpu = result
    return f"{wall * 1000:.0f} ms ({cpu * 1000:.0f} ms CPU)"


def build_repo(commits: int) -> Path:
    """A repository with `commits` commits, a tag every 1,000, the last tag 50 commits back."""
    path = WORK / f"changelog-history-{commits}"
    if (path / ".git").is_dir():
        return path
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream: list[str] = []
    for number in range(1, commits + 1):
        message = MESSAGES[number % len(MESSAGES)].format(i=number) + "\n"
        stream.append(
            f"commit refs/heads/main\nmark :{number}\n"
            f"committer Bench <bench@example.invalid> {1_600_000_000 + number} +0000\n"
            f"data {len(message.encode())}\n{message}\n"
        )
    last = commits - 50
    tagged = [*range(1000, last, 1000), last]
    for count, number in enumerate(tagged, start=1):
        name = f"v0.{count}.0" if number != last else "v1.0.0"
        message = f"Release {name}\n"
        stream.append(
            f"tag {name}\nfrom :{number}\n"
            f"tagger Bench <bench@example.invalid> {1_600_000_000 + number} +0000\n"
            f"data {len(message.encode())}\n{message}\n"
        )
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=path,
        input="".join(stream).encode(),
        check=True,
    )
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True)
    return path


def _draft(path: Path) -> draft.Draft:
    return draft.draft(Git(path))


def bench_draft(commit_counts: list[int], runs: int) -> list[str]:
    rows = [
        "| history | tags | draft | git calls | commits read | entries |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for commits in commit_counts:
        path = build_repo(commits)
        tags = len(Git(path).tags("v"))
        repo = Git(path)
        result = draft.draft(repo)
        calls = repo.calls
        timing = measure(functools.partial(_draft, path), runs)
        rows.append(
            f"| {commits:,} commits | {tags} | {_fmt(timing)} | {calls} | {result.commits} "
            f"| {len(result.entries)} |"
        )
        print(rows[-1], flush=True)
    return rows


def write_results(text: str) -> None:
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    start = old.find("\n## Changelog\n")
    if old.startswith("## Changelog\n"):
        start = 0
    if start < 0:
        RESULTS.write_text(old.rstrip("\n") + "\n\n" + text if old else text, encoding="utf-8")
        return
    end = old.find("\n## ", start + 1)
    rest = old[end:] if end >= 0 else "\n"
    RESULTS.write_text(old[:start].rstrip("\n") + "\n\n" + text + rest, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,2.5,5,10", help="changelog sizes in MB")
    parser.add_argument("--lines", default="16000", help="line counts of extra promote files")
    parser.add_argument("--old", default="ffeafe2", help="the commit of the old engine")
    parser.add_argument("--commits", default="1000,10000,100000", help="history lengths")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    sizes = [float(size) for size in args.sizes.split(",")]
    commit_counts = [int(count) for count in args.commits.split(",")]
    WORK.mkdir(exist_ok=True)
    texts = [
        (f"{lines:,} lines", make_changelog_lines(lines))
        for lines in (int(value) for value in args.lines.split(",") if value)
    ]
    texts += [(f"{size:g} MB", make_changelog(int(size * 1_000_000))[0]) for size in sizes]
    compared = bench_promote(texts, old_engine(args.old), args.old, args.runs)
    files = bench_files(sizes, args.runs)
    history = bench_draft(commit_counts, args.runs)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    command = f".venv/bin/python {COMMAND} " + " ".join(sys.argv[1:])
    text = "\n".join(
        [
            "## Changelog",
            "",
            f"`{command.strip()}` — medians of {args.runs} runs, Python "
            f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load} at the end "
            "(other sessions were running), so wall times are upper bounds; CPU times are "
            "this process plus the git processes it started.",
            "",
            "promote against the engine before issue 11, same run, same text (and the same "
            "output, asserted): the new promote reads the top of the file and the references "
            "of the newest releases only, so its time stays flat as the file grows.",
            "",
            *compared,
            "",
            "parse, promote, check and notes on generated Keep a Changelog files (sections "
            "with compare links, a fenced code block every 50 sections). parse, check and notes "
            "read the whole file and stay linear in its size; promote does not.",
            "",
            *files,
            "",
            "draft on histories built with `git fast-import` (a tag every 1,000 commits, the "
            "last release tag 50 commits back, no commit-graph). Cost should not grow with the "
            "history: one `git describe`, one `git log` over the 50 commits since the tag.",
            "",
            *history,
            "",
        ]
    )
    print()
    print(text)
    if args.write:
        write_results(text)


if __name__ == "__main__":
    main()
