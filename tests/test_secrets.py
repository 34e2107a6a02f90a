"""The canary matrix: a canary secret in every credential source, through every door and path.

The canary must never appear in stdout or stderr (which hold any traceback), with --verbose.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import GitRepo, run_cli
from publish_support import Faults, fault_proxy

from releasekit import publish
from releasekit.errors import PublishError
from releasekit.localindex import free_port, local_index

pytestmark = pytest.mark.slow

CANARY = "pypi-CANARY0123456789abcdefXYZ"
SOURCES = ["TWINE_PASSWORD", "UV_PUBLISH_TOKEN", "pypirc", "keyring"]
PATHS = ["success", "forbidden", "invalid-metadata", "unreachable", "dry-run", "doctor"]
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


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("source", SOURCES)
def test_canary_never_printed_through_the_cli(
    released: GitRepo, tmp_path: Path, source: str, path: str
) -> None:
    server_password = CANARY if path == "success" else "another-password-123"
    with local_index(username="__token__", password=server_password) as index:
        url = index.upload_url
        if path == "unreachable":
            url = f"http://127.0.0.1:{free_port()}/"
        env = source_env(source, url, tmp_path)
        faults = Faults(default=400, reason=f"Invalid metadata: echo {CANARY}")
        with fault_proxy(index.url, faults) as proxy:
            target = proxy if path == "invalid-metadata" else url
            if path == "doctor":
                args = ["doctor"]
            else:
                args = ["publish", "--repository", target, "--verbose", "--no-install"]
                args += ["--dry-run"] if path == "dry-run" else []
            result = run_cli(released.path, *args, env=env)
    assert_no_canary(result.out, result.err)
    if path in {"success", "dry-run"}:
        assert result.code == 0, result.err
        assert f"secret pypi-*** ({len(CANARY)} chars)" in result.out
    elif path != "doctor":
        assert result.code == 1
        assert len(result.err.strip().splitlines()) == 1
        assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("variable", "repository"), [("PYPI_TOKEN", "pypi"), ("TESTPYPI_TOKEN", "testpypi")]
)
@pytest.mark.parametrize("task", ["publish", "doctor"])
def test_canary_in_the_per_index_token_variables(
    released: GitRepo, variable: str, repository: str, task: str
) -> None:
    # The real indexes cannot be reached from here: publishing fails (not at the release tag,
    # or the index does not answer) and doctor reports; the token must show up masked only.
    args = ["doctor"] if task == "doctor" else ["publish", "--repository", repository, "--verbose"]
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
