"""`releasekit init` on real git repositories: detection, the plan, diffs, and refusals."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BIN, REQUIREMENT, GitRepo, git, run_cli, snapshot, write_files

from releasekit import __version__
from releasekit import init as init_module
from releasekit.errors import (
    ChangelogError,
    GitError,
    UnpublishedReleasekitError,
    VersionPlaceError,
)
from releasekit.init import BLOCK_END, BLOCK_START, detect, plan_init, render, template_values

HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
STATIC = HATCH + '[project]\nname = "sample"\nversion = "1.2.0"  # keep\n'
KAC = "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-01-01\n\n- First.\n"
GENERATED = ("tasks.py", "noxfile.py", ".github/workflows/ci.yml", ".github/workflows/release.yml")

MakeRepo = Callable[..., GitRepo]


def project(**extra: str) -> dict[str, str]:
    return {"pyproject.toml": STATIC, "CHANGELOG.md": KAC, **extra}


def test_defaults_write_only_the_new_files(make_repo: MakeRepo) -> None:
    repo = make_repo(project())
    repo.git("tag", "v1.2.0")
    before = snapshot(repo.path)
    result = run_cli(repo.path, "init", "--requirement", REQUIREMENT)
    assert result.code == 0, result
    after = snapshot(repo.path)
    assert set(after) - set(before) == set(GENERATED)
    # Every detected value is a default; only the tag prefix is written down, so that no
    # release has to infer it from the tags again. The changelog stays as it was.
    assert (
        after["pyproject.toml"]
        == before["pyproject.toml"] + b'\n[tool.releasekit]\ntag-prefix = "v"\n'
    )
    assert "inferred: all 1 release tag(s) use it" in result.out
    assert after["CHANGELOG.md"] == before["CHANGELOG.md"]
    assert "tag prefix: 'v' (latest v1.2.0)" in result.out
    assert "release branch: main" in result.out
    assert "created tasks.py" in result.out
    # The generated tasks.py is a working invoke door onto releasekit's tasks.
    listing = subprocess.run(
        [str(BIN / "invoke"), "--list"], cwd=repo.path, capture_output=True, text=True, check=True
    )
    assert "init" in listing.stdout
    assert "bump" in listing.stdout
    # ...and the generated noxfile loads in real nox, with its sessions documented.
    sessions = subprocess.run(
        [str(BIN / "nox"), "-l"], cwd=repo.path, capture_output=True, text=True, check=True
    )
    for session in ("tests", "build", "test_wheel", "check_tag", "publish_test", "publish"):
        assert f" {session} -> " in sessions.stdout


def test_second_run_changes_nothing(make_repo: MakeRepo) -> None:
    repo = make_repo(project())
    assert run_cli(repo.path, "init", "--requirement", REQUIREMENT).code == 0
    state = repo.state()
    result = run_cli(repo.path, "init", "--requirement", REQUIREMENT)
    assert result.code == 0, result
    assert repo.state() == state
    for name in GENERATED:
        assert f"unchanged {name}" in result.out


def test_dry_run_shows_diffs_and_changes_nothing(make_repo: MakeRepo) -> None:
    repo = make_repo(project(**{"CHANGELOG.md": "# History\n\n## 1.2.0\n\n- x\n"}))
    repo.git("tag", "1.2.0")
    state = repo.state()
    result = run_cli(
        repo.path, "init", "--requirement", REQUIREMENT, "--dry-run", "--add-unreleased"
    )
    assert result.code == 0, result
    assert repo.state() == state
    assert "would create .github/workflows/release.yml" in result.out
    assert '+tag-prefix = ""' in result.out
    assert "+## Unreleased\n" in result.out
    assert "--- /dev/null\n+++ b/tasks.py" in result.out


def test_bare_tags_and_master_are_written_to_the_table(make_repo: MakeRepo) -> None:
    repo = make_repo(project(), branch="master")
    repo.git("tag", "1.1.0", "HEAD")
    repo.git("tag", "1.2.0")
    repo.git("tag", "not-a-release")
    result = run_cli(repo.path, "init", "--requirement", REQUIREMENT)
    assert result.code == 0, result
    text = (repo.path / "pyproject.toml").read_text()
    assert text == STATIC + '\n[tool.releasekit]\ntag-prefix = ""\nbranch = "master"\n'
    workflow = (repo.path / ".github/workflows/release.yml").read_text()
    assert '"[0-9]*"' in workflow
    assert "branches: [master]" in (repo.path / ".github/workflows/ci.yml").read_text()
    assert run_cli(repo.path, "version").out == "1.2.0\n"


def test_default_branch_comes_from_the_remote(make_repo: MakeRepo) -> None:
    repo = make_repo(project())
    repo.git("checkout", "-q", "-b", "develop")
    repo.git("push", "-q", "origin", "develop")
    git(repo.remote, "symbolic-ref", "HEAD", "refs/heads/develop")
    repo.git("checkout", "-q", "main")  # working on main; the remote says develop
    assert detect(repo.path).branch == "develop"  # via ls-remote --symref
    repo.git("remote", "set-head", "origin", "main")
    assert detect(repo.path).branch == "main"  # refs/remotes/origin/HEAD wins


def test_latest_tag_off_the_release_branch_is_reported(make_repo: MakeRepo) -> None:
    repo = make_repo(project())
    repo.git("tag", "v1.1.0")
    repo.git("checkout", "-q", "-b", "release-1.2")
    repo.git("commit", "-q", "--allow-empty", "-m", "fix")
    repo.git("tag", "v1.2.0")
    repo.git("checkout", "-q", "main")
    found = detect(repo.path)
    assert found.tags.latest == "v1.2.0"
    assert not found.tags.latest_on_branch
    notes = plan_init(found).notes
    assert "the latest release tag 'v1.2.0' is not on 'main'" in notes


def test_mixed_tag_styles_follow_the_newest(make_repo: MakeRepo) -> None:
    repo = make_repo(project())
    repo.git("tag", "v1.0.0")
    repo.git("tag", "1.2.0")
    repo.git("tag", "-a", "-m", "newest", "1.2.1")  # annotated: the newest by date
    found = detect(repo.path)
    assert (found.tags.prefix, found.tags.latest) == ("", "1.2.1")
    assert found.project.prefix.how == "inferred"
    assert "2 do; 1 with 'v'" in found.project.prefix.detail


def test_configured_prefix_wins(make_repo: MakeRepo) -> None:
    pyproject = STATIC + '\n[tool.releasekit]\ntag-prefix = "release-"\n'
    repo = make_repo(project(**{"pyproject.toml": pyproject}))
    repo.git("tag", "release-1.2.0")
    repo.git("tag", "v9.0.0")
    found = detect(repo.path)
    assert (found.tags.prefix, found.tags.latest) == ("release-", "release-1.2.0")
    assert plan_init(found).edits[0].path.name != "pyproject.toml"


@pytest.mark.parametrize(
    "heading", ["## [Unreleased]", "## Unreleased", "## [unreleased]", "## UNRELEASED"]
)
def test_unreleased_spellings_are_recognised(make_repo: MakeRepo, heading: str) -> None:
    repo = make_repo(project(**{"CHANGELOG.md": f"# Changelog\n\n{heading}\n\n## 1.0 - x\n"}))
    found = detect(repo.path)
    assert found.changelog.has_unreleased
    assert all(edit.path.name != "CHANGELOG.md" for edit in plan_init(found).edits)


def test_add_unreleased_goes_above_the_newest_release(make_repo: MakeRepo) -> None:
    old = "# Changes\r\n\r\nIntro.\r\n\r\n## v1.2.0 (March 3, 2025)\r\n\r\n- x\r\n"
    repo = make_repo(project(**{"CHANGELOG.md": old}))
    result = run_cli(repo.path, "init", "--requirement", REQUIREMENT)
    assert result.code == 0, result
    assert "has no Unreleased section" in result.out
    assert (repo.path / "CHANGELOG.md").read_bytes() == old.encode()
    assert run_cli(repo.path, "init", "--requirement", REQUIREMENT, "--add-unreleased").code == 0
    new = (repo.path / "CHANGELOG.md").read_bytes().decode()
    # The new heading follows the releases' style: no brackets here, so none.
    assert new == old.replace("## v1.2.0", "## Unreleased\r\n\r\n## v1.2.0")


def test_add_unreleased_follows_bracketed_headings(make_repo: MakeRepo) -> None:
    old = "# Changelog\n\n### [1.2.0] - 2025-01-01\n\n- x\n\n### [1.1.0] - 2024-01-01\n"
    repo = make_repo(project(**{"CHANGELOG.md": old}))
    plan = plan_init(detect(repo.path), add_unreleased=True)
    (edit,) = [edit for edit in plan.edits if edit.path.name == "CHANGELOG.md"]
    assert edit.after.decode() == old.replace("### [1.2.0]", "### [Unreleased]\n\n### [1.2.0]")


def test_missing_changelog_is_created(make_repo: MakeRepo) -> None:
    repo = make_repo({"pyproject.toml": STATIC})
    assert run_cli(repo.path, "init", "--requirement", REQUIREMENT).code == 0
    text = (repo.path / "CHANGELOG.md").read_text()
    assert "Keep a Changelog" in text
    assert text.endswith("## [Unreleased]\n")


def test_other_changelog_name_is_kept_and_configured(make_repo: MakeRepo) -> None:
    repo = make_repo({"pyproject.toml": STATIC, "HISTORY.md": "# History\n\n## Unreleased\n"})
    assert run_cli(repo.path, "init", "--requirement", REQUIREMENT).code == 0
    assert not (repo.path / "CHANGELOG.md").exists()
    assert 'changelog = "HISTORY.md"' in (repo.path / "pyproject.toml").read_text()


def test_monorepo_second_pyproject_becomes_a_version_file(make_repo: MakeRepo) -> None:
    plugin = '[project]\nname = "sample-plugin"\nversion = "1.2.0"\n'
    other = '[project]\nname = "unrelated"\nversion = "0.1.0"\n'
    repo = make_repo(
        project(**{"plugins/one/pyproject.toml": plugin, "tools/pyproject.toml": other})
    )
    assert run_cli(repo.path, "init", "--requirement", REQUIREMENT).code == 0
    text = (repo.path / "pyproject.toml").read_text()
    assert 'version-files = ["plugins/one/pyproject.toml"]' in text
    bumped = run_cli(repo.path, "bump", "patch")
    assert bumped.code == 0, bumped
    assert 'version = "1.2.1"' in (repo.path / "plugins/one/pyproject.toml").read_text()
    assert (repo.path / "tools/pyproject.toml").read_text() == other


def test_crlf_pyproject_stays_crlf(make_repo: MakeRepo) -> None:
    repo = make_repo(project(**{"pyproject.toml": STATIC.replace("\n", "\r\n")}), branch="develop")
    assert run_cli(repo.path, "init", "--requirement", REQUIREMENT).code == 0
    data = (repo.path / "pyproject.toml").read_bytes()
    assert (
        data
        == (STATIC + '\n[tool.releasekit]\ntag-prefix = "v"\nbranch = "develop"\n')
        .replace("\n", "\r\n")
        .encode()
    )


def test_existing_tasks_py_stops_init_unless_forced_or_skipped(make_repo: MakeRepo) -> None:
    mine = '"""My own tasks."""\n'
    repo = make_repo(project(**{"tasks.py": mine}))
    state = repo.state()
    result = run_cli(repo.path, "init", "--requirement", REQUIREMENT)
    assert result.code == 1
    assert repo.state() == state
    assert "--- a/tasks.py\n+++ b/tasks.py" in result.out
    assert '-"""My own tasks."""' in result.out
    assert result.err.count("\n") == 1
    assert "'tasks.py' already exist" in result.err
    assert "--force" in result.err
    assert run_cli(repo.path, "init", "--requirement", REQUIREMENT, "--dry-run").code == 1
    assert repo.state() == state

    skipped = run_cli(repo.path, "init", "--requirement", REQUIREMENT, "--skip-existing")
    assert skipped.code == 0, skipped
    assert (repo.path / "tasks.py").read_text() == mine
    assert (repo.path / "noxfile.py").is_file()

    forced = run_cli(repo.path, "init", "--requirement", REQUIREMENT, "--force")
    assert forced.code == 0, forced
    assert "overwrote tasks.py" in forced.out


# Modelled on noxfiles of projects that keep their own `tests`/`lint` and name a session
# with `name=` (as attrs and pip do): written for this test, not copied.
USER_NOXFILE = """import nox

nox.options.sessions = ["tests", "lint"]


@nox.session(python=["3.11", "3.12"])
def tests(session):
    session.install(".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session):
    session.run("ruff", "check", ".")


@nox.session(name="build")
def make_dist(session):
    session.run("python", "-m", "build")
"""


def _nox_sessions(path: Path) -> str:
    return subprocess.run(
        [str(BIN / "nox"), "-l"], cwd=path, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("flag", [(), ("--force",)], ids=["plain", "force"])
def test_existing_noxfile_gets_a_marked_block(make_repo: MakeRepo, flag: tuple[str, ...]) -> None:
    repo = make_repo(project(**{"noxfile.py": USER_NOXFILE}))
    result = run_cli(repo.path, "init", "--requirement", "releasekit==2.0.0", *flag)
    assert result.code == 0, result
    assert "edited noxfile.py" in result.out
    text = (repo.path / "noxfile.py").read_text()
    # The user's sessions, byte for byte, then one marked block with only what they lack.
    assert text.startswith(USER_NOXFILE)
    block = text[len(USER_NOXFILE) :]
    assert block.count(BLOCK_START) == 1
    assert block.rstrip().endswith(BLOCK_END)
    for session in ("test_wheel", "check_tag", "publish_test", "publish"):
        assert f"    def {session}(session" in block
    assert "def tests(" not in block
    assert "def build(" not in block  # the user's make_dist is named "build"
    assert "nox.options" not in block  # the user's defaults stay theirs
    assert 'RELEASEKIT = "releasekit==2.0.0"' in block
    listing = _nox_sessions(repo.path)
    for session in ("tests", "lint", "build", "test_wheel", "check_tag", "publish"):
        assert f" {session}" in listing, listing
    # A second run changes nothing; doctor finds every session the workflows call.
    state = repo.state()
    again = run_cli(repo.path, "init", "--requirement", "releasekit==2.0.0")
    assert "unchanged noxfile.py" in again.out
    assert repo.state() == state
    assert "[fail] workflow sessions" not in run_cli(repo.path, "doctor").out


def test_block_is_refreshed_not_duplicated(make_repo: MakeRepo) -> None:
    repo = make_repo(project(**{"noxfile.py": USER_NOXFILE}))
    assert run_cli(repo.path, "init", "--requirement", "releasekit==2.0.0").code == 0
    assert run_cli(repo.path, "init", "--requirement", "releasekit==2.1.0", "--force").code == 0
    text = (repo.path / "noxfile.py").read_text()
    assert text.startswith(USER_NOXFILE)
    assert text.count(BLOCK_START) == 1
    assert "releasekit==2.0.0" not in text
    assert 'RELEASEKIT = "releasekit==2.1.0"' in text


def test_skip_existing_never_writes_workflows_calling_missing_sessions(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo(project(**{"noxfile.py": USER_NOXFILE}))
    state = repo.state()
    result = run_cli(repo.path, "init", "--requirement", REQUIREMENT, "--skip-existing")
    assert result.code == 1, result
    assert repo.state() == state
    assert result.err.startswith("releasekit: error: .github/workflows/ci.yml would call nox")
    assert "test_wheel" in result.err
    assert "without --skip-existing" in result.err


def test_files_init_creates_follow_the_umask(make_repo: MakeRepo) -> None:
    repo = make_repo(project())
    old = os.umask(0o022)
    try:
        assert run_cli(repo.path, "init", "--requirement", REQUIREMENT).code == 0
    finally:
        os.umask(old)
    for name in GENERATED:
        assert stat.S_IMODE((repo.path / name).stat().st_mode) == 0o644, name


def test_default_requirement_refuses_a_development_releasekit(make_repo: MakeRepo) -> None:
    repo = make_repo(project())
    state = repo.state()
    result = run_cli(repo.path, "init")
    assert result.code == 1
    assert repo.state() == state
    assert result.err == (
        f"releasekit: error: releasekit {__version__} (the one running) is not a final "
        "release, so no package index has it for the generated noxfile and workflows to "
        "install; say what they should install: 'releasekit init --requirement "
        "releasekit==X.Y.Z' (a released version), '--requirement ./path/to/releasekit' or "
        "'--requirement URL'\n"
    )


@pytest.mark.parametrize(
    ("running", "expected"),
    [("1.4.0", "releasekit==1.4.0"), ("1.4.0.post1", "releasekit==1.4.0.post1")],
)
def test_default_requirement_pins_a_final_releasekit(
    running: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(init_module, "__version__", running)
    assert init_module.resolve_requirement(None) == expected
    for dev in ("1.4.0.dev0", "1.4.0rc1", "1.4.0+local"):
        monkeypatch.setattr(init_module, "__version__", dev)
        with pytest.raises(UnpublishedReleasekitError, match=re.escape(dev)):
            init_module.resolve_requirement(None)


@pytest.mark.parametrize("spec", ["", "releasekit 1.0", 'x"y', "a$b", "git+https://h/r.git\n"])
def test_bad_requirement_is_a_usage_error(make_repo: MakeRepo, spec: str) -> None:
    repo = make_repo(project())
    state = repo.state()
    result = run_cli(repo.path, "init", "--requirement", spec)
    assert result.code == 2, result
    assert result.err.startswith("releasekit: error: --requirement ")
    assert repo.state() == state


@pytest.mark.parametrize(
    "spec", ["releasekit==1.3.0", "./vendor/releasekit", "git+https://example.org/rk.git@v1"]
)
def test_requirement_reaches_every_generated_file(make_repo: MakeRepo, spec: str) -> None:
    repo = make_repo(project())
    assert run_cli(repo.path, "init", "--requirement", spec).code == 0
    assert f'RELEASEKIT = "{spec}"' in (repo.path / "noxfile.py").read_text()
    for workflow in ("ci.yml", "release.yml"):
        text = (repo.path / ".github/workflows" / workflow).read_text()
        assert f'"{spec}"' in text
        assert __version__ not in text


def test_shallow_clone_is_refused(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo(project())
    repo.git("commit", "-q", "--allow-empty", "-m", "two")
    repo.git("tag", "v1.2.0")
    repo.git("push", "-q", "origin", "main", "--tags")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.remote}", str(clone))
    before = snapshot(clone)
    result = run_cli(clone, "init", "--requirement", REQUIREMENT)
    assert result.code == 1
    assert "shallow clone" in result.err
    assert "git fetch --unshallow --tags" in result.err
    assert snapshot(clone) == before
    with pytest.raises(GitError, match="shallow"):
        detect(clone)


@pytest.mark.parametrize(
    ("files", "error", "match"),
    [
        (
            {"pyproject.toml": STATIC, "CHANGES.rst": "Changes\n=======\n"},
            ChangelogError,
            "'CHANGES.rst' is not Markdown",
        ),
        (
            {
                "pyproject.toml": HATCH + '[project]\nname = "sample"\ndynamic = ["version"]\n\n'
                '[tool.hatch.version]\nsource = "code"\n'
            },
            VersionPlaceError,
            "source 'code'",
        ),
        (
            {"pyproject.toml": STATIC, "src/sample/__init__.py": '__version__ = "1.1.0"\n'},
            VersionPlaceError,
            "disagree",
        ),
    ],
    ids=["rst-changelog", "hatch-code-version", "versions-disagree"],
)
def test_unsupported_layouts_fail_in_one_line(
    make_repo: MakeRepo, files: dict[str, str], error: type[Exception], match: str
) -> None:
    repo = make_repo(files)
    state = repo.state()
    with pytest.raises(error, match=match):
        detect(repo.path)
    result = run_cli(repo.path, "init", "--requirement", REQUIREMENT)
    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err
    assert repo.state() == state


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"setup.py": "from setuptools import setup\nsetup()\n"}, "'setup.py' without a"),
        ({"pyproject.toml": '[project]\nname = "s"\nversion = "1.0"\n'}, "no [build-system]"),
    ],
    ids=["setup-py-only", "no-build-backend"],
)
def test_unsupported_projects_fail_in_one_line(
    make_repo: MakeRepo, files: dict[str, str], message: str
) -> None:
    repo = make_repo(files)
    state = repo.state()
    result = run_cli(repo.path, "init", "--requirement", REQUIREMENT)
    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert repo.state() == state


def test_outside_git_is_refused(tmp_path: Path) -> None:
    write_files(tmp_path, project())
    before = snapshot(tmp_path)
    result = run_cli(tmp_path, "init", "--requirement", REQUIREMENT)
    assert result.code == 1
    assert "is not inside a git repository" in result.err
    assert snapshot(tmp_path) == before


def test_templates_render_completely(git_repo: GitRepo) -> None:
    values = template_values(detect(git_repo.path))
    for name in ("tasks.py.tmpl", "noxfile.py.tmpl", "ci.yml.tmpl", "release.yml.tmpl"):
        text = render(name, values)
        assert "@@" not in text
        if name.endswith(".py.tmpl"):
            compile(text, name, "exec")
