"""The GitHub Actions workflows: linted by zizmor, valid by schema, and held to our rules."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BIN

# Every test here reads this repository's workflows, which an installed artifact lacks.
pytestmark = pytest.mark.repo_files

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
RELEASE = WORKFLOWS / "release.yml"
PINNED = re.compile(
    r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>\S+)(?:\s+#\s*(?P<tag>\S+))?\s*$"
)
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
SEMVER_TAG = re.compile(r"^v\d+\.\d+\.\d+$")


def load(path: Path) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in workflow["jobs"].items() for step in job["steps"]]


def runs(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job, step) for job, step in steps(workflow) if "run" in step]


def step_named(workflow: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        s for s in workflow["jobs"][job]["steps"] if s.get("name") == name
    ]
    assert len(found) == 1, f"{job}: {len(found)} steps named {name!r}"
    return found[0]


def tool(name: str) -> str:
    return str(BIN / name)


@pytest.fixture(scope="module", params=[CI, RELEASE], ids=["ci", "release"])
def workflow_path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


# ---------------------------------------------------------------- external checkers


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress"]
    return subprocess.run(
        [*command, *map(str, paths)], capture_output=True, text=True, check=False, timeout=120
    )


def schema(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run(
        [*command, *map(str, paths)], capture_output=True, text=True, check=False, timeout=120
    )


def test_zizmor_pedantic_finds_nothing() -> None:
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "audit"),
    [
        (
            'run: releasekit publish --check --repository "$REPOSITORY"',
            "run: echo ${{ github.ref_name }}",
            "template-injection",
        ),
        ("persist-credentials: false", "fetch-depth: 1", "artipacked"),
        ("permissions: {}\n", "", "excessive-permissions"),
        ("enable-cache: false", "enable-cache: true", "cache-poisoning"),
    ],
)
def test_zizmor_would_catch_a_regression(tmp_path: Path, old: str, new: str, audit: str) -> None:
    """The check can fail: each rule broken on purpose is reported."""
    text = RELEASE.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(text.replace(old, new), encoding="utf-8")
    result = zizmor(broken)
    assert result.returncode != 0
    assert audit in result.stdout


def test_workflows_match_the_github_workflow_schema() -> None:
    result = schema(CI, RELEASE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(CI.read_text(encoding="utf-8").replace("runs-on:", "run-on:"))
    assert schema(broken).returncode != 0


# ---------------------------------------------------------------- security rules


def test_no_permissions_at_the_top(workflow_path: Path) -> None:
    assert load(workflow_path)["permissions"] == {}


def test_each_job_asks_for_its_permissions_with_a_reason(workflow_path: Path) -> None:
    workflow = load(workflow_path)
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"job {name} has no permissions block"
    lines = workflow_path.read_text(encoding="utf-8").splitlines()
    entries = 0
    for number, line in enumerate(lines):
        if re.fullmatch(r"\s+permissions: \{\}\s+#\s*\S.*", line):
            entries += 1  # a job that needs nothing says why it needs nothing
            continue
        if line.strip() != "permissions:" or not line.startswith(" "):
            continue
        indent = len(line) - len(line.lstrip())
        for entry in lines[number + 1 :]:
            if len(entry) - len(entry.lstrip()) <= indent:
                break
            entries += 1
            assert re.search(r":\s*(read|write|none)\s+#\s*\S", entry), f"no reason: {entry!r}"
    assert entries == len(workflow["jobs"])


def test_only_publish_may_mint_and_only_github_release_may_write() -> None:
    writes = {
        (workflow.name, job_name, scope)
        for workflow in (CI, RELEASE)
        for job_name, job in load(workflow)["jobs"].items()
        for scope, level in job["permissions"].items()
        if level == "write"
    }
    assert writes == {
        ("release.yml", "publish", "id-token"),
        ("release.yml", "github-release", "contents"),
    }


def test_every_action_is_pinned_to_a_full_sha_with_its_version() -> None:
    versions: dict[str, set[tuple[str, str | None]]] = {}
    for path in (CI, RELEASE):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" not in line:
                continue
            match = PINNED.match(line)
            assert match, f"{path.name}: cannot read {line!r}"
            assert FULL_SHA.match(match["sha"]), f"{path.name}: not a full commit SHA: {line!r}"
            assert SEMVER_TAG.match(match["tag"] or ""), f"no '# vX.Y.Z': {line!r}"
            versions.setdefault(match["action"], set()).add((match["sha"], match["tag"]))
    assert {"actions/checkout", "astral-sh/setup-uv"} <= set(versions)
    for action, pins in versions.items():
        assert len(pins) == 1, f"{action} is pinned differently in different places: {pins}"


def test_checkouts_do_not_keep_credentials(workflow_path: Path) -> None:
    checkouts = [
        s for _, s in steps(load(workflow_path)) if "actions/checkout@" in s.get("uses", "")
    ]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


def test_no_expression_inside_a_script(workflow_path: Path) -> None:
    for job, step in runs(load(workflow_path)):
        assert "${{" not in step["run"], f"{job}: pass values through env:, not into run:"


def test_no_dangerous_triggers_and_a_concurrency_group(workflow_path: Path) -> None:
    workflow = load(workflow_path)
    assert "pull_request_target" not in workflow["on"]
    assert "workflow_run" not in workflow["on"]
    assert workflow["concurrency"]["group"]


def test_the_release_workflow_caches_nothing_and_is_never_cancelled() -> None:
    workflow = load(RELEASE)
    assert workflow["concurrency"]["cancel-in-progress"] is False
    for job, step in steps(workflow):
        uses = step.get("uses", "")
        assert "actions/cache" not in uses, job
        if "setup-uv" in uses:
            assert step["with"]["enable-cache"] is False, job
        if "setup-python" in uses:
            assert "cache" not in step.get("with", {}), job


# ---------------------------------------------------------------- the release shape


def test_release_triggers() -> None:
    on = load(RELEASE)["on"]
    assert on["push"] == {"tags": ["v*"]}
    assert on["workflow_dispatch"]["inputs"]["test_pypi"]["type"] == "boolean"
    assert on["workflow_dispatch"]["inputs"]["test_pypi"]["default"] is False


def test_release_jobs_run_in_order() -> None:
    jobs = load(RELEASE)["jobs"]
    assert list(jobs) == ["check", "build", "test", "plan", "publish", "verify", "github-release"]
    assert jobs["build"]["needs"] == "check"
    assert jobs["test"]["needs"] == "build"
    assert set(jobs["plan"]["needs"]) == {"check", "test"}
    assert set(jobs["publish"]["needs"]) == {"check", "plan"}
    assert set(jobs["verify"]["needs"]) == {"check", "publish"}
    assert set(jobs["github-release"]["needs"]) == {"check", "verify"}
    assert jobs["github-release"]["if"] == "${{ !inputs.test_pypi }}"


def test_the_tag_reaches_check_tag_through_env() -> None:
    step = step_named(load(RELEASE), "check", "Check the tag")
    assert step["env"] == {"TAG": "${{ github.ref_name }}"}
    assert step["run"] == "nox -s check_tag"


DIST = {"name": "dist", "path": "dist/"}
SUMS = {"name": "sha256sums", "path": "dist/"}


def test_build_once_and_pass_files_by_artifact() -> None:
    jobs = load(RELEASE)["jobs"]
    builds = [job for job, step in runs(load(RELEASE)) if "nox -s build" in step["run"]]
    assert builds == ["build"]
    uploads = [s["with"] for s in jobs["build"]["steps"] if "upload-artifact" in s.get("uses", "")]
    # SHA256SUMS travels beside the distribution files: the publish job uploads all it gets.
    assert uploads == [
        {"name": "dist", "path": "dist/*.whl\ndist/*.tar.gz\n", "if-no-files-found": "error"},
        {"name": "sha256sums", "path": "dist/SHA256SUMS", "if-no-files-found": "error"},
    ]
    for job in ("test", "plan", "verify", "github-release"):
        downloads = [
            s["with"] for s in jobs[job]["steps"] if "download-artifact" in s.get("uses", "")
        ]
        assert downloads == [DIST, SUMS], job


PYPA_ACTION = "pypa/gh-action-pypi-publish"


def check_publish_job(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    """The PyPA's action, pinned, attestations on, fed the tested dist/ and nothing else."""
    job: dict[str, Any] = workflow["jobs"][name]
    assert job["permissions"] == {"id-token": "write"}
    assert job.get("environment"), f"{name} has no environment"
    assert "secrets." not in json.dumps(job)
    uses = [s.get("uses", "") for s in job["steps"]]
    assert not any("checkout" in u for u in uses), f"{name} checks out code"
    assert not [s for s in job["steps"] if "run" in s], f"{name} runs scripts"
    assert len(uses) == 2
    assert uses[0].startswith("actions/download-artifact@")
    assert job["steps"][0]["with"] == DIST  # the dist artifact only: no SHA256SUMS
    action, _, sha = uses[1].partition("@")
    assert action == PYPA_ACTION
    assert FULL_SHA.match(sha), f"{PYPA_ACTION} is not pinned to a commit: {uses[1]!r}"
    given = job["steps"][1]["with"]
    assert given.get("attestations", True) is True  # the action's default is on; never off
    assert given["packages-dir"] == "dist/"
    assert given["skip-existing"] == "${{ needs.plan.outputs.skip-existing }}"
    assert "password" not in given
    assert "user" not in given
    return job


def only_publish_jobs_mint(workflow: dict[str, Any]) -> set[str]:
    return {
        name
        for name, job in workflow["jobs"].items()
        if (job.get("permissions") or {}).get("id-token") == "write"
    }


def test_publish_job_uses_the_pinned_pypa_action_with_attestations() -> None:
    workflow = load(RELEASE)
    job = check_publish_job(workflow, "publish")
    assert only_publish_jobs_mint(workflow) == {"publish"}
    assert job["environment"]["name"] == "${{ inputs.test_pypi && 'testpypi' || 'pypi' }}"
    assert "https://pypi.org/p/releasekit" in job["environment"]["url"]
    assert "https://test.pypi.org/p/releasekit" in job["environment"]["url"]
    url = job["steps"][1]["with"]["repository-url"]
    assert "https://test.pypi.org/legacy/" in url
    assert "https://upload.pypi.org/legacy/" in url
    pin = next(line for line in RELEASE.read_text().splitlines() if PYPA_ACTION in line)
    assert PINNED.match(pin)["tag"] == "v1.14.2"  # type: ignore[index]


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("attestations: true", "attestations: false", "attestations"),
        (
            "    steps:\n      # No checkout",
            "    steps:\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8\n"
            "      # No checkout",
            "checks out",
        ),
        ("@dc37677b2e1c63e2034f94d8a5b11f265b73ba33", "@release/v1", "not pinned"),
    ],
)
def test_the_publish_job_check_can_fail(old: str, new: str, complaint: str) -> None:
    text = RELEASE.read_text(encoding="utf-8")
    assert old in text
    broken = yaml.safe_load(text.replace(old, new))
    with pytest.raises(AssertionError, match=complaint):
        check_publish_job(broken, "publish")


def test_a_second_minting_job_is_noticed() -> None:
    workflow = load(RELEASE)
    workflow["jobs"]["verify"]["permissions"] = {"id-token": "write"}
    assert only_publish_jobs_mint(workflow) == {"publish", "verify"}


def test_plan_runs_before_and_verify_after_with_no_permissions() -> None:
    workflow = load(RELEASE)
    plan = step_named(workflow, "plan", "Plan")
    assert plan["id"] == "plan"
    assert plan["run"] == 'releasekit publish --check --repository "$REPOSITORY"'
    assert workflow["jobs"]["plan"]["outputs"] == {
        "skip-existing": "${{ steps.plan.outputs.skip-existing }}"
    }
    check = step_named(workflow, "verify", "Verify")
    assert check["run"].startswith('releasekit verify --repository "$REPOSITORY"')
    assert "--verify-signatures" in check["run"]
    for job in ("plan", "verify"):
        assert workflow["jobs"][job]["permissions"] == {}
        assert plan["env"] == {"REPOSITORY": "${{ inputs.test_pypi && 'testpypi' || 'pypi' }}"}


def test_github_release_uses_the_changelog_and_marks_prereleases() -> None:
    workflow = load(RELEASE)
    notes = step_named(workflow, "github-release", "Write the release notes")
    assert notes["env"] == {"VERSION": "${{ needs.check.outputs.version }}"}
    assert "releasekit notes" in notes["run"]
    create = step_named(workflow, "github-release", "Create the release")
    assert create["env"]["PRERELEASE"] == "${{ needs.check.outputs.prerelease }}"
    assert create["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert '[ "$PRERELEASE" = "true" ]' in create["run"]
    assert "--prerelease" in create["run"]


def test_ci_runs_nox_sessions_on_the_supported_matrix() -> None:
    import nox.project

    workflow = load(CI)
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert workflow["on"]["push"] == {"branches": ["main"]}
    matrix = workflow["jobs"]["tests"]["strategy"]["matrix"]
    pyproject = nox.project.load_toml(ROOT / "pyproject.toml")
    assert matrix["python"] == nox.project.python_versions(pyproject)
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    # Only Linux gates: the suite is not yet shown to pass on macOS and Windows.
    assert workflow["jobs"]["tests"]["continue-on-error"] == "${{ matrix.os != 'ubuntu-latest' }}"

    commands = [step["run"] for _, step in runs(workflow)]
    for needed in ("nox -s lint", "nox -s tests", "nox -s build", "nox -s test_wheel"):
        assert any(c.startswith(needed) for c in commands), needed
    for command in commands:
        first = shlex.split(command)[0]
        assert first in {"nox", "uv", "uvx"}, f"CI runs {command!r}; put it in a nox session"


# ---------------------------------------------------------------- names that exist


@cache
def nox_sessions() -> frozenset[str]:
    result = subprocess.run(
        # `-l` alone lists only the default sessions; a keyword that matches all lists all.
        [tool("nox"), "-l", "--json", "-k", "not no_such_session", "-f", str(ROOT / "noxfile.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    listed = json.loads(result.stdout)
    return frozenset({s["name"] for s in listed} | {s["session"] for s in listed})


@cache
def releasekit_tasks() -> frozenset[str]:
    result = subprocess.run(
        [tool("releasekit"), "--list"], capture_output=True, text=True, check=True, timeout=120
    )
    # `releasekit --list`: a heading, then one indented "task  description" line per task.
    return frozenset(
        line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")
    )


def commands_named(program: str) -> list[tuple[str, list[str]]]:
    found = []
    for path in (CI, RELEASE):
        for job, step in runs(load(path)):
            for line in step["run"].splitlines():
                words = shlex.split(line, comments=True)
                if words and words[0] == program:
                    found.append((f"{path.name}:{job}", words[1:]))
    return found


def test_every_nox_session_named_exists() -> None:
    used = commands_named("nox")
    assert used
    for where, args in used:
        assert args[0] == "-s", f"{where}: nox {args}"
        session = args[1]
        assert session in nox_sessions(), f"{where}: no nox session {session!r}"
        if "--python" in args:
            # `nox -s NAME --python "$PYTHON"`: each matrix value must name a session.
            workflow = load(CI if where.startswith("ci") else RELEASE)
            pythons = workflow["jobs"][where.split(":")[1]]["strategy"]["matrix"]["python"]
            for python in pythons:
                assert f"{session}-{python}" in nox_sessions(), f"{where}: {session}-{python}"


def test_every_releasekit_task_named_exists() -> None:
    used = commands_named("releasekit")
    assert used
    for where, args in used:
        assert args[0] in releasekit_tasks(), f"{where}: no releasekit task {args[0]!r}"


def test_the_name_checks_can_fail() -> None:
    assert "no-such-session" not in nox_sessions()
    assert "no-such-task" not in releasekit_tasks()
    assert {"lint", "tests", "build", "check_tag"} <= nox_sessions()


if __name__ == "__main__":  # pragma: no cover - a helper to see what the checks see
    print(sorted(nox_sessions()), sorted(releasekit_tasks()), file=sys.stderr)


def _generated_release() -> str:
    from releasekit.init import render

    values = dict.fromkeys(
        ("BRANCH", "TAG_PREFIX", "NAME", "ENVIRONMENT", "TEST_ENVIRONMENT", "WORKFLOW"), "x"
    )
    return render(
        "release.yml.tmpl", {**values, "RELEASEKIT": "releasekit==1.0.0", "CHECKOUT_HISTORY": ""}
    )


@pytest.mark.parametrize("which", ["repository", "generated"])
def test_only_a_manual_run_goes_to_testpypi(which: str) -> None:
    """The documented rule: a tag push (pre-release or not) publishes to PyPI."""
    text = RELEASE.read_text(encoding="utf-8") if which == "repository" else _generated_release()
    workflow = yaml.safe_load(text)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert triggers["workflow_dispatch"]["inputs"]["test_pypi"]["type"] == "boolean"
    for name, job in workflow["jobs"].items():
        if "publish" not in name and "release" not in name:
            continue
        condition = str(job.get("if", ""))
        # Nothing routes on the version or the tag: only the manual run's test_pypi input.
        assert "prerelease" not in condition, name
        assert "rc" not in re.findall(r"\w+", condition), name
    dumped = json.dumps(workflow)
    assert "testpypi" in dumped
    assert "needs.check.outputs.prerelease }}" not in str(
        [job.get("if") for job in workflow["jobs"].values()]
    )


@pytest.mark.repo_files
def test_docs_state_the_testpypi_rule() -> None:
    doc = (ROOT / "docs" / "trusted-publishing.md").read_text(encoding="utf-8")
    assert "Push a pre-release tag (`v1.0.0rc1`), or run" not in doc
    assert "Only a **manual run** goes to TestPyPI" in doc
    assert "always publishes to **PyPI**" in doc
    assert "## In a project adopted with `releasekit init`" in doc


# ---------------------------------------------------------------- what init generates


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release.yml that `releasekit init` writes into a new project."""
    from conftest import SIMPLE_PYPROJECT, init_repo

    repo = init_repo(
        tmp_path_factory.mktemp("init") / "project", {"pyproject.toml": SIMPLE_PYPROJECT}
    )
    result = subprocess.run(
        [tool("releasekit"), "init", "--requirement", "releasekit==1.0.0"],
        check=False,
        cwd=repo.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return repo.path / ".github" / "workflows" / "release.yml"


def test_init_workflow_publishes_with_the_pinned_pypa_action(generated: Path) -> None:
    workflow = load(generated)
    for name in ("publish-testpypi", "publish-pypi"):
        check_publish_job(workflow, name)
    assert only_publish_jobs_mint(workflow) == {"publish-testpypi", "publish-pypi"}
    ours = next(line for line in RELEASE.read_text().splitlines() if PYPA_ACTION in line)
    for line in generated.read_text().splitlines():
        if PYPA_ACTION in line:
            assert line.split("uses:")[1] == ours.split("uses:")[1]  # one pin for both
    test_url = workflow["jobs"]["publish-testpypi"]["steps"][1]["with"]["repository-url"]
    assert test_url == "https://test.pypi.org/legacy/"
    assert "repository-url" not in workflow["jobs"]["publish-pypi"]["steps"][1]["with"]
    assert workflow["jobs"]["verify"]["permissions"] == {}
    assert workflow["jobs"]["plan"]["permissions"] == {}


def test_init_workflow_passes_zizmor_and_the_schema(generated: Path) -> None:
    result = zizmor(generated)
    assert result.returncode == 0, result.stdout + result.stderr
    assert schema(generated).returncode == 0


def test_release_tests_the_wheel_only_where_the_suite_is_shown_to_pass() -> None:
    workflow = load(RELEASE)
    jobs = [job for job in workflow["jobs"].values() if "matrix" in job.get("strategy", {})]
    assert jobs
    for job in jobs:
        assert job["strategy"]["matrix"]["os"] == ["ubuntu-latest"]
