"""The canary matrix: a canary secret in every credential source, through every door and path.

The canary must never appear in stdout or stderr (which hold any traceback), with --verbose.
The full matrix (every source x every exit path x quiet/loud, against an index that echoes
the secret) is tests/test_canary_matrix.py; these are the doors and sources it leaves out.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, REQUIREMENT, GitRepo, run_cli
from publish_support import Faults, fault_proxy, with_real_caches

from releasekit import publish
from releasekit.errors import PublishError
from releasekit.localindex import free_port, local_index

pytestmark = pytest.mark.slow

CANARY = "pypi-CANARY0123456789abcdefXYZ"
SOURCES = ["TWINE_PASSWORD", "UV_PUBLISH_TOKEN", "pypirc", "keyring"]
KEYRING = """\
from keyring.backend import KeyringBackend
class Keyring(KeyringBackend):
    priority = 1
    def get_password(self, service, username):
        return {canary!r}
    def set_password(self, service, username, password):
        raise NotImplementedError
    def delete_password(self, service, username):
        raise NotImplementedError
"""


def source_env(source: str, url: str, tmp_path: Path) -> dict[str, str]:
    """Put the canary in one credential source; return the environment that selects it."""
    home = Path(os.environ["HOME"])
    if source in {"TWINE_PASSWORD", "UV_PUBLISH_TOKEN"}:
        return {source: CANARY, "TWINE_USERNAME": "__token__"}
    if source == "pypirc":
        path = home / ".pypirc"
        path.write_text(
            f"[distutils]\nindex-servers = canary\n\n[canary]\nrepository = {url}\n"
            f"username = __token__\npassword = {CANARY}\n"
        )
        path.chmod(0o600)
        return {}
    (tmp_path / "canarykeyring.py").write_text(KEYRING.format(canary=CANARY))
    return {
        "PYTHON_KEYRING_BACKEND": "canarykeyring.Keyring",
        "PYTHONPATH": str(tmp_path),
    }


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text
        assert CANARY[5:] not in text  # not even without its public prefix


@pytest.mark.parametrize(
    ("variable", "repository"), [("PYPI_TOKEN", "pypi"), ("TESTPYPI_TOKEN", "testpypi")]
)
@pytest.mark.parametrize("task", ["publish", "doctor"])
def test_canary_in_the_per_index_token_variables(
    released: GitRepo, variable: str, repository: str, task: str
) -> None:
    # A dry run: nothing may ever be sent to the real indexes' upload endpoints from a test.
    # It reads the index (PyPI's simple index may answer, TestPyPI does not) and reports the
    # credential; the token must show up masked only.
    publish_args = ["publish", "--repository", repository, "--verbose", "--dry-run"]
    args = ["doctor"] if task == "doctor" else publish_args
    released.git("tag", "-a", "-m", "1.2.0", "v1.2.0")  # so that pypi gets as far as the token
    result = run_cli(released.path, *args, env={variable: CANARY})
    assert_no_canary(result.out, result.err)
    assert "Traceback" not in result.err
    shown = f"{variable}" in result.out + result.err
    assert shown, result  # the source is named ...
    assert f"pypi-*** ({len(CANARY)} chars)" in result.out + result.err  # ... the secret masked


@pytest.mark.parametrize("source", ["TWINE_PASSWORD", "pypirc"])
def test_canary_never_printed_through_the_invoke_door(
    released: GitRepo, tmp_path: Path, source: str
) -> None:
    with local_index(username="__token__", password="another-password-123") as index:
        env = source_env(source, index.upload_url, tmp_path)
        result = run_cli(
            released.path,
            "publish",
            "--repository",
            index.upload_url,
            "--verbose",
            door="invoke",
            env=env,
        )
    assert result.code == 1
    assert "refused the credential" in result.err
    assert_no_canary(result.out, result.err)


def test_canary_never_in_retry_messages(
    released: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    with local_index(username="__token__", password=CANARY) as index:
        faults = Faults(default=503, reason=f"Unavailable {CANARY}", body=f"<p>{CANARY}</p>")
        with fault_proxy(index.url, faults) as proxy:
            lines: list[str] = []
            with pytest.raises(PublishError) as caught:
                publish.run(
                    root=released.path,
                    repository=proxy,
                    index_url=None,
                    dist_dir=released.path / "dist",
                    environ={"TWINE_PASSWORD": CANARY, "HOME": os.environ["HOME"]},
                    say=lines.append,
                    warn=lines.append,
                    verbose=True,
                    install_check=False,
                    retry=publish.Retry(attempts=3, backoff=0.0),
                )
    captured = capsys.readouterr()
    assert faults.seen_posts == 3
    assert_no_canary(
        "\n".join(lines), str(caught.value), repr(caught.value), captured.out, captured.err
    )


def test_canary_never_printed_when_trusted_publishing_fails(released: GitRepo) -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"http://127.0.0.1:{free_port()}/token?x=1",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": CANARY,
    }
    url = f"http://127.0.0.1:{free_port()}/legacy/"
    result = run_cli(released.path, "publish", "--repository", url, "--verbose", env=env)
    assert result.code == 1
    assert result.err.startswith("releasekit: error:")
    assert_no_canary(result.out, result.err)


@pytest.fixture(scope="module")
def releasekit_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This releasekit, built as a wheel, so a generated noxfile's `releasekit==X` finds it."""
    house = tmp_path_factory.mktemp("wheelhouse")
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(house), str(root)],
        check=True,
        capture_output=True,
        env=with_real_caches(),
    )
    return house


@pytest.mark.repo_files  # builds releasekit from this source tree
@pytest.mark.parametrize(
    ("session", "variable"), [("publish_test", "TESTPYPI_TOKEN"), ("publish", "PYPI_TOKEN")]
)
def test_canary_never_printed_through_a_nox_session(
    released: GitRepo, releasekit_wheelhouse: Path, session: str, variable: str
) -> None:
    # The session `releasekit init` writes, run by real nox with its own venv, as a dry run
    # (nothing is ever sent to a real index's upload endpoint from a test).
    assert run_cli(released.path, "init", "--requirement", REQUIREMENT, "--skip-existing").code == 0
    released.commit_all("adopt releasekit")
    released.git("tag", "-a", "-m", "1.2.0", "v1.2.0")
    env = {
        **with_real_caches(),
        variable: CANARY,
        "UV_FIND_LINKS": str(releasekit_wheelhouse),
        "PIP_FIND_LINKS": str(releasekit_wheelhouse),
    }
    result = subprocess.run(
        [str(BIN / "nox"), "-s", session, "--", "--dry-run", "--verbose"],
        cwd=released.path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert_no_canary(result.stdout, result.stderr)
    output = result.stdout + result.stderr
    repository = "testpypi" if session == "publish_test" else "pypi"
    # nox echoes the command it runs: the secret is not in it (it travels in the environment)
    assert f"nox > releasekit publish --repository {repository} --dry-run --verbose" in output
    assert f"pypi-*** ({len(CANARY)} chars)" in output, output  # the token was used, masked
    # Only the package registries are reachable here: TestPyPI never answers, PyPI's simple
    # index may; either way the dry run ends cleanly, one way or the other.
    if result.returncode == 0:
        assert "dry run: nothing was uploaded" in output
    else:
        assert f"Session {session} failed" in output
    assert "Traceback" not in output
