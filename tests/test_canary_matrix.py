"""The canary matrix: a canary in every credential source, echoed by a hostile index.

Every scenario runs the real `releasekit` in a subprocess, so every line that leaves the
process is seen: ours, twine's logger, warnings, tracebacks, invoke's debug log.
A scenario is a credential source x an exit path x a mode; the index echoes the secret
it receives (the password, the Authorization header) and the canary in the reason
phrase and in the body, the body's copy at one of the length boundaries around the
300-character cut (each path meets every boundary across the sources). A leak is any
8 characters of the canary, or 12 of its HTTP Basic form, anywhere in stdout or stderr.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GitRepo, run_cli
from echo_index import Echo, Read, Upload, echo_index

from releasekit.localindex import LocalIndex, free_port, local_index

pytestmark = pytest.mark.slow

CANARY = "pypi-CANARY0123456789abcdefXYZ"
OTHER = "other-password-5678"  # the credential when the canary sits in a URL instead
BASIC = base64.b64encode(f"__token__:{CANARY}".encode()).decode()
BOUNDARIES = (0, 150, 271, 285, 299, 300)  # where the body's copy starts
SOURCES = (
    "TWINE_PASSWORD",
    "UV_PUBLISH_TOKEN",
    "pypirc",
    "keyring",
    "repository-url",
    "TWINE_REPOSITORY_URL",
)
URL_SOURCES = ("repository-url", "TWINE_REPOSITORY_URL")
# path -> (what the index does to uploads, to index pages; the exit status expected)
PATHS: dict[str, tuple[Upload, Read, int]] = {
    "uploaded": ("ok", "forward", 0),
    "rejected-400": ("400", "forward", 1),
    "refused-403": ("403", "forward", 1),
    "exists-409": ("409", "forward", 1),
    "server-error-503": ("503", "forward", 1),
    "connection-reset": ("reset", "forward", 1),
    "index-500": ("ok", "500", 1),
    "index-bad-json": ("ok", "bad-json", 1),
    "unreachable": ("ok", "forward", 1),
    "dry-run": ("ok", "forward", 0),
    "doctor": ("ok", "forward", 0),
    "no-credential": ("ok", "forward", 1),
    "crash": ("ok", "forward", 0),
}
# loud: invoke's debug log (INVOKE_DEBUG=1: the releasekit door takes no --debug flag),
# --verbose, PYTHONWARNINGS=always, PYTHONDEVMODE=1
MODES = ("quiet", "loud")

KEYRING = """\
import atexit, logging, threading, warnings
from keyring.backend import KeyringBackend
CANARY = {canary!r}
class Keyring(KeyringBackend):
    priority = 1
    def get_password(self, service, username):
        # A chatty backend: its logger and a warning carry the secret too.
        logging.getLogger("keyring.canary").warning("found %s for %s", CANARY, service)
        warnings.warn(f"backend hands out {{CANARY}}", stacklevel=1)
        if {crash!r}:
            # Crashes after the secret is known: a thread's and an exit handler's tracebacks.
            def explode():
                raise RuntimeError(f"backend crashed holding {{CANARY}}")
            threading.Thread(target=explode).start()
            atexit.register(explode)
        return CANARY
    def set_password(self, service, username, password):
        raise NotImplementedError
    def delete_password(self, service, username):
        raise NotImplementedError
"""


@dataclass(frozen=True)
class Scenario:
    """One run of the CLI: where the canary is, how the run ends, how loud it is."""

    source: str
    path: str
    mode: str

    @property
    def offset(self) -> int:
        return BOUNDARIES[SOURCES.index(self.source) % len(BOUNDARIES)]

    def __str__(self) -> str:
        return f"{self.source}-{self.path}-{self.mode}"


def scenarios() -> Iterator[Scenario]:
    """Every meaningful combination (no-credential needs a URL source, crash the keyring)."""
    for path in PATHS:
        for source in SOURCES:
            if path == "no-credential" and source not in URL_SOURCES:
                continue
            if path == "crash" and source != "keyring":
                continue
            for mode in MODES:
                yield Scenario(source, path, mode)


SCENARIOS = list(scenarios())


def leaks(text: str) -> list[str]:
    """Every 8-character piece of the canary (12 of its Basic form) found in `text`."""
    found = [CANARY[i : i + 8] for i in range(len(CANARY) - 7) if CANARY[i : i + 8] in text]
    found += [BASIC[i : i + 12] for i in range(len(BASIC) - 11) if BASIC[i : i + 12] in text]
    return found


@pytest.fixture(scope="module")
def upstream() -> Iterator[LocalIndex]:
    """The real index behind the echoing one, shared by the scenarios that do not upload."""
    with local_index() as running:
        yield running


def environment(scenario: Scenario, url: str, tmp_path: Path) -> tuple[dict[str, str], str]:
    """The environment that puts the canary in the scenario's source; the upload URL."""
    home = Path(os.environ["HOME"])
    host = url.removeprefix("http://")
    env: dict[str, str] = {}
    if scenario.source in URL_SOURCES:
        url = f"http://__token__:{CANARY}@{host}"
        if scenario.path != "no-credential":
            env["TWINE_PASSWORD"] = OTHER
    if scenario.source in {"TWINE_PASSWORD", "UV_PUBLISH_TOKEN"}:
        env[scenario.source] = CANARY
    elif scenario.source == "TWINE_REPOSITORY_URL":
        env["TWINE_REPOSITORY_URL"] = url
    elif scenario.source == "pypirc":
        path = home / ".pypirc"
        path.write_text(
            f"[distutils]\nindex-servers = canary\n\n[canary]\nrepository = {url}\n"
            f"username = __token__\npassword = {CANARY}\n"
        )
        path.chmod(0o600)
    elif scenario.source == "keyring":
        crash = scenario.path == "crash"
        (tmp_path / "canarykeyring.py").write_text(KEYRING.format(canary=CANARY, crash=crash))
        env["PYTHON_KEYRING_BACKEND"] = "canarykeyring.Keyring"
        env["PYTHONPATH"] = str(tmp_path)
    # Retries without waiting, so the 5xx path stays fast (and every attempt echoes).
    env["RELEASEKIT_UPLOAD_ATTEMPTS"] = "3"
    env["RELEASEKIT_RETRY_BACKOFF"] = "0"
    if scenario.mode == "loud":
        env |= {"PYTHONWARNINGS": "always", "PYTHONDEVMODE": "1", "INVOKE_DEBUG": "1"}
    return env, url


def arguments(scenario: Scenario, url: str) -> list[str]:
    """The command line of the scenario."""
    loud = scenario.mode == "loud"
    if scenario.path == "doctor":
        return ["doctor"]
    args = ["publish", "--no-install"]
    if scenario.source != "TWINE_REPOSITORY_URL":
        args += ["--repository", url]
    if loud:
        args.append("--verbose")
    if scenario.path == "dry-run":
        args.append("--dry-run")
    return args


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_no_canary_ever_leaves_the_process(
    released: GitRepo, upstream: LocalIndex, tmp_path: Path, scenario: Scenario
) -> None:
    upload, read, expected = PATHS[scenario.path]
    echo = Echo(canary=CANARY, upload=upload, read=read, offset=scenario.offset)
    for stored in upstream.packages.iterdir():  # each run starts from an empty index
        stored.unlink()  # (pypiserver lists its directory on each read)
    with echo_index(upstream, echo) as proxy:
        target = f"http://127.0.0.1:{free_port()}/" if scenario.path == "unreachable" else proxy
        env, url = environment(scenario, target, tmp_path)
        result = run_cli(released.path, *arguments(scenario, url), env=env)
    found = leaks(result.out) + leaks(result.err)
    assert not found, (found, result.out, result.err)
    assert result.code == expected, result
    if scenario.mode == "quiet" and expected:
        lines = result.err.strip().splitlines()
        # The chatty keyring backend prints its own lines first.
        assert len(lines) == 1 or scenario.source == "keyring", result.err
        assert lines[-1].startswith("releasekit: error: "), result.err
    if scenario.path == "uploaded":
        assert "verified sample-1.2.0-py2.py3-none-any.whl" in result.out, result
    if scenario.path == "crash":
        assert result.err.count("RuntimeError: backend crashed holding ***") == 2, result.err


def test_the_matrix_is_the_one_described() -> None:
    # 13 paths x 6 sources x 2 modes, less the combinations that cannot exist.
    assert len(SCENARIOS) == (11 * 6 + 2 + 1) * 2
    offsets = {(s.path, s.offset) for s in SCENARIOS}
    for path in PATHS:
        if path not in {"no-credential", "crash"}:
            assert {offset for p, offset in offsets if p == path} == set(BOUNDARIES)
