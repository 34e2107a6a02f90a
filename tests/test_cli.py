"""Both front doors (`releasekit`, `python -m releasekit`, `invoke`) give the same results."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN, run_cli, snapshot, write_files

from releasekit import __version__
from releasekit.project import describe_places, load_project

DOORS = ("releasekit", "module", "invoke")

PROJECT = {
    "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"'
    '\n\n[project]\nname = "sample"\nversion = "1.2.0"  # keep\n',
    "src/sample/__init__.py": '__version__ = "1.2.0"\n',
}

CASES = [
    (("tag-version", "v1.0.0-alpha"), 0, "1.0.0a0\n", ""),
    (("tag-version", "v1.2.0-rc.1"), 0, "1.2.0rc1\n", ""),
    (("tag-version", "V1.2.0"), 2, "", "does not start with the tag prefix 'v'"),
    (("tag-version", "v1.0.0-1"), 2, "", "ambiguous"),
    (("tag-version", "--prefix", "", "1.0"), 0, "1.0\n", ""),
    (("check-tag", "v1.2.0"), 0, "1.2.0\n", ""),
    (("check-tag", "v1.2"), 1, "", "names version '1.2' but the project version is '1.2.0'"),
    (("check-tag", "v1.3.0"), 1, "", "tag 'v1.2.0' instead"),
    (("version",), 0, "1.2.0\n", ""),
    (("version", "--verbose"), 0, "1.2.0\n", "src/sample/__init__.py:1 (__version__): 1.2.0"),
    (("bump", "minor", "--dry-run"), 0, "would bump 1.2.0 -> 1.3.0", ""),
    (("bump", "rc"), 2, "", "needs a base part"),
    (("bump", "1.0.0"), 2, "", "not greater"),
]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(("args", "code", "out", "err"), CASES, ids=str)
def test_doors_agree(
    door: str, args: tuple[str, ...], code: int, out: str, err: str, tmp_path: Path
) -> None:
    write_files(tmp_path, PROJECT)
    before = snapshot(tmp_path)
    result = run_cli(tmp_path, *args, door=door)
    assert result.code == code, result
    assert out in result.out
    assert err in result.err
    if code:
        assert result.out == ""
        assert "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before  # no case above writes anything


@pytest.mark.parametrize("door", DOORS)
def test_bump_writes_every_place(door: str, tmp_path: Path) -> None:
    write_files(tmp_path, PROJECT)
    result = run_cli(tmp_path, "bump", "minor", "--pre", "rc", door=door)
    assert result.code == 0, result
    assert 'version = "1.3.0rc1"  # keep\n' in (tmp_path / "pyproject.toml").read_text()
    assert (tmp_path / "src/sample/__init__.py").read_text() == '__version__ = "1.3.0rc1"\n'
    assert run_cli(tmp_path, "version", door=door).out == "1.3.0rc1\n"


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("task", ["tag-version", "check-tag", "version", "bump", "release"])
def test_help_on_every_task(door: str, task: str, tmp_path: Path) -> None:
    result = run_cli(tmp_path, task, "--help", door=door)
    assert result.code == 0, result
    if door == "invoke":  # invoke's own help, as invoke users know it
        assert f"{task} [--options]" in result.out
        assert "Docstring:" in result.out
    else:
        assert result.out.startswith(f"Usage: releasekit {task} ")
        assert "Docstring:" not in result.out
        assert "--core-opts" not in result.out


USAGES = {
    "release": "Usage: releasekit release PART|VERSION [options]\n",
    "bump": "Usage: releasekit bump PART|VERSION [options]\n",
    "tag-version": "Usage: releasekit tag-version TAG [options]\n",
    "check-tag": "Usage: releasekit check-tag TAG\n",
    "notes": "Usage: releasekit notes VERSION\n",
    "doctor": "Usage: releasekit doctor\n",
}


@pytest.mark.parametrize(("task", "usage"), USAGES.items())
def test_task_usage_lines(task: str, usage: str, tmp_path: Path) -> None:
    for args in ((task, "--help"), ("--help", task), (task, "-h")):
        out = run_cli(tmp_path, *args).out
        assert out.startswith(usage), out
        # The task's description, and each argument with its own words, not invoke's STRING.
        assert "STRING" not in out
        assert "Docstring:" not in out


def test_release_help_describes_its_argument(tmp_path: Path) -> None:
    out = run_cli(tmp_path, "release", "--help").out
    assert "  PART|VERSION  " in out
    assert "major, minor, patch" in out
    assert "-n, --dry-run" in out
    assert "--target" not in out


def test_core_help_is_releasekits(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--help")
    assert result.code == 0
    first = result.out.splitlines()[0]
    assert first.startswith("releasekit ")
    assert "release automation" in first
    options = [line.split()[-1] for line in result.out.splitlines() if line.startswith("  -")]
    flags = {
        word for line in result.out.splitlines() if line.startswith("  -") for word in line.split()
    }
    for flag in ("--help", "--version", "--list", "--completion"):
        assert any(flag in line for line in result.out.splitlines()), flag
    for invoke_flag in (
        "--dry",
        "--pty",
        "--hide",
        "--echo",
        "--prompt-for-sudo-password",
        "--write-pyc",
        "--collection",
        "--search-root",
        "--complete",
    ):
        assert invoke_flag not in flags, invoke_flag
    assert options
    assert "Docs: " in result.out
    assert "release" in result.out
    assert "init" in result.out


@pytest.mark.parametrize(
    "args",
    [
        ("--dry", "bump", "patch"),
        ("-R", "bump", "patch"),
        ("bump", "patch", "--dry"),
        ("--pty", "bump", "patch"),
        ("--hide", "both", "bump", "patch"),
        ("--echo", "version"),
        ("--search-root", ".", "version"),
    ],
    ids=str,
)
def test_invoke_core_flags_are_refused(args: tuple[str, ...], tmp_path: Path) -> None:
    write_files(tmp_path, PROJECT)
    before = snapshot(tmp_path)
    result = run_cli(tmp_path, *args)
    assert result.code == 2, result
    assert result.err.startswith("releasekit: error: unknown option")
    assert len(result.err.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before


def test_invoke_door_keeps_invoke_flags(tmp_path: Path) -> None:
    write_files(tmp_path, PROJECT)
    result = run_cli(tmp_path, "--echo", "version", door="invoke")
    assert (result.code, result.out) == (0, "1.2.0\n")
    assert "Core options" in run_cli(tmp_path, "--help", door="invoke").out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("relase", "patch"), "unknown task 'relase'; did you mean 'release'?"),
        (("--help", "relase"), "unknown task 'relase'; did you mean 'release'?"),
        (
            ("bump", "patch", "--dyr-run"),
            "unknown option '--dyr-run' for 'bump'; did you mean '--dry-run'?",
        ),
        (("--verison",), "did you mean '--version'?"),
        (("release",), "'releasekit release' needs PART|VERSION"),
        (("bump", "patch", "--pre"), "option --pre needs a value"),
        (("--completion", "tcsh"), "--completion 'tcsh' is not a shell"),
    ],
    ids=str,
)
def test_usage_errors_suggest(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    write_files(tmp_path, PROJECT)
    for door in ("releasekit", "module"):
        result = run_cli(tmp_path, *args, door=door)
        assert result.code == 2, result
        assert result.out == ""
        assert result.err.startswith("releasekit: error: ")
        assert message in result.err
        assert len(result.err.strip().splitlines()) == 1


def test_one_short_flag_scheme() -> None:
    """A letter means one option in every task, and dry run is -n everywhere."""
    from releasekit.tasks import ns

    meaning: dict[str, set[str]] = {}
    for name, each in ns.tasks.items():
        for arg in each.get_arguments(ignore_unknown_help=True):
            for short in (n for n in arg.names if len(n) == 1):
                meaning.setdefault(short, set()).add(arg.name)
            if arg.name == "dry_run":
                assert "n" in arg.names, name
    assert all(len(longs) == 1 for longs in meaning.values()), meaning
    assert meaning["n"] == {"dry_run"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_and_candidates(shell: str, tmp_path: Path) -> None:
    script = run_cli(tmp_path, "--completion", shell)
    assert script.code == 0
    assert "--complete" in script.out
    assert "releasekit" in script.out
    tasks = run_cli(tmp_path, "--complete", "--", "releasekit", "")
    assert "release" in tasks.out.split()
    flags = run_cli(tmp_path, "--complete", "--", "releasekit", "release", "--")
    assert "--dry-run" in flags.out.split()


def test_list_shows_every_task(tmp_path: Path) -> None:
    listing = run_cli(tmp_path, "--list").out
    for task in ("tag-version", "check-tag", "version", "bump"):
        assert task in listing


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "no-such-task")
    assert result.code == 2
    assert "no-such-task" in result.err
    assert run_cli(tmp_path, "--list").out.count("\n") >= 13


def test_outside_a_project(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "version")
    assert result.code == 1
    assert "no pyproject.toml" in result.err
    assert run_cli(tmp_path, "tag-version", "v2.0").out == "2.0\n"


def test_version_flag(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--version")
    assert result.code == 0
    assert result.out == f"releasekit {__version__}\n"
    # The literal in __init__.py (a version place releasekit bumps) is the installed version.
    assert __version__ == importlib.metadata.version("releasekit")


def test_releasekit_keeps_its_own_version_in_both_places() -> None:
    root = Path(__file__).parent.parent
    described = describe_places(load_project(root))
    assert any(line.startswith("src/releasekit/__init__.py:") for line in described), described
    assert any(line.startswith("pyproject.toml:") for line in described), described


def test_bash_completion_completes_tasks(tmp_path: Path) -> None:
    script = run_cli(tmp_path, "--completion", "bash").out
    (tmp_path / "complete.bash").write_text(script)
    probe = (
        f'PATH="{BIN}:$PATH"; source complete.bash; COMP_WORDS=(releasekit rel); '
        "_complete_releasekit releasekit rel; echo ${COMPREPLY[@]}"
    )
    done = subprocess.run(
        ["bash", "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["release"]


HEAVY = ("git", "twine", "build", "requests", "urllib3")


@pytest.mark.parametrize(
    "args", [("--help",), ("--version",), ("tag-version", "v1.2.0"), ("version",)], ids=str
)
def test_start_up_imports_no_heavy_library(args: tuple[str, ...], tmp_path: Path) -> None:
    """The quick commands never import gitpython, twine or build (start-up time)."""
    write_files(tmp_path, PROJECT)
    probe = (
        "import sys\n"
        "from releasekit.cli import program\n"
        f"try:\n    program.run(['releasekit', *{list(args)!r}])\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}), "
        "file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stderr.strip() == "[]", done.stderr
