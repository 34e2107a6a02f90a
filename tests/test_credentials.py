"""Credential sources, their order, masking, and the .pypirc safety checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releasekit import credentials
from releasekit.credentials import Credential, mask, resolve
from releasekit.errors import CredentialError

UPLOAD = "https://upload.pypi.org/legacy/"
TEST_UPLOAD = "https://test.pypi.org/legacy/"


def write_pypirc(home: Path, text: str, mode: int = 0o600) -> Path:
    path = home / ".pypirc"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture
def home() -> Path:
    return Path(os.environ["HOME"])


@given(st.text(min_size=6).filter(lambda s: s.strip() == s))
def test_mask_never_contains_the_secret(secret: str) -> None:
    assert secret not in mask(secret)
    assert secret not in mask("pypi-" + secret)


def test_mask_keeps_only_the_public_prefix() -> None:
    assert mask("pypi-AgEIcHlwaS5vcmc") == "pypi-*** (20 chars)"
    assert mask("hunter22") == "*** (8 chars)"
    assert mask("") == "<empty>"


@pytest.mark.parametrize(
    ("environ", "repository", "source"),
    [
        (
            {"TWINE_PASSWORD": "pypi-a", "PYPI_TOKEN": "pypi-b"},
            "pypi",
            "environment (TWINE_PASSWORD)",
        ),
        (
            {"PYPI_TOKEN": "pypi-b", "UV_PUBLISH_TOKEN": "pypi-c"},
            "pypi",
            "environment (PYPI_TOKEN)",
        ),
        (
            {"PYPI_TOKEN": "pypi-b", "UV_PUBLISH_TOKEN": "pypi-c"},
            "testpypi",
            "environment (UV_PUBLISH_TOKEN)",
        ),
        ({"TESTPYPI_TOKEN": "pypi-t"}, "testpypi", "environment (TESTPYPI_TOKEN)"),
    ],
)
def test_environment_order(
    environ: dict[str, str], repository: str, source: str, home: Path
) -> None:
    url = UPLOAD if repository == "pypi" else TEST_UPLOAD
    found = resolve(repository, url, {"HOME": str(home), **environ})  # type: ignore[arg-type]
    assert found.source == source
    assert found.username == "__token__"


def test_twine_username_is_used_with_twine_password(home: Path) -> None:
    env = {"HOME": str(home), "TWINE_USERNAME": "alice", "TWINE_PASSWORD": "s3cret-pw"}
    assert resolve("url", "https://pkgs.example/", env).username == "alice"


def test_environment_wins_over_pypirc(home: Path) -> None:
    write_pypirc(home, "[pypi]\nusername = __token__\npassword = pypi-fromfile\n")
    env = {"HOME": str(home), "PYPI_TOKEN": "pypi-fromenv"}
    assert resolve("pypi", UPLOAD, env).password == "pypi-fromenv"
    assert resolve("pypi", UPLOAD, {"HOME": str(home)}).source == "~/.pypirc [pypi]"


def test_pypirc_section_by_url(home: Path) -> None:
    write_pypirc(
        home,
        "[distutils]\nindex-servers = corp\n\n[corp]\nrepository = https://pkgs.example/up\n"
        "username = bob\npassword = corp-pass\n",
    )
    found = resolve("url", "https://pkgs.example/up/", {"HOME": str(home)})
    assert (found.username, found.source) == ("bob", "~/.pypirc [corp]")


@pytest.mark.posix  # group/other mode bits
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_pypirc_readable_by_others_is_refused(home: Path, mode: int) -> None:
    write_pypirc(home, "[pypi]\npassword = pypi-CANARYPYPIRC\n", mode)
    with pytest.raises(CredentialError) as caught:
        resolve("pypi", UPLOAD, {"HOME": str(home)})
    assert "chmod 600" in str(caught.value)
    assert "CANARY" not in str(caught.value)


def test_pypirc_mode_bits_are_a_posix_check(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows reports 0o666 for every writable file: a mode check there would refuse every
    # .pypirc. Its profile ACLs keep the file private; releasekit checks only on POSIX.
    write_pypirc(home, "[pypi]\npassword = pypi-CANARYPYPIRC\n", 0o644)
    monkeypatch.setattr(credentials, "MODE_BITS_PROTECT", False)
    found = resolve("pypi", UPLOAD, {"HOME": str(home)})
    assert found.source == "~/.pypirc [pypi]"


def test_broken_pypirc_is_refused_without_quoting_it(home: Path) -> None:
    write_pypirc(home, "pypi-CANARYLINE without a section\n")
    with pytest.raises(CredentialError) as caught:
        resolve("pypi", UPLOAD, {"HOME": str(home)})
    assert "not a valid .pypirc" in str(caught.value)
    assert "CANARY" not in str(caught.value)


def test_no_credential_names_every_source(home: Path) -> None:
    with pytest.raises(CredentialError) as caught:
        resolve("pypi", UPLOAD, {"HOME": str(home)})
    message = str(caught.value)
    for name in (
        "TWINE_PASSWORD",
        "PYPI_TOKEN",
        "UV_PUBLISH_TOKEN",
        "~/.pypirc",
        "keyring",
        "Trusted",
    ):
        assert name in message


def test_token_warning_only_for_pypi_tokens() -> None:
    bad = Credential("__token__", "AgEIcHlwaS5vcmc", "environment (PYPI_TOKEN)")
    good = Credential("__token__", "pypi-AgEIcHlwaS5vcmc", "environment (PYPI_TOKEN)")
    warning = credentials.token_warning(bad, "pypi")
    assert warning is not None
    assert "'pypi-'" in warning
    assert "AgEI" not in warning
    assert credentials.token_warning(good, "pypi") is None
    assert credentials.token_warning(bad, "url") is None


def test_keyring_is_a_source(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real keyring backend, chosen the way users choose one (PYTHON_KEYRING_BACKEND).
    (tmp_path / "memkeyring.py").write_text(
        "from keyring.backend import KeyringBackend\n"
        "class Keyring(KeyringBackend):\n"
        "    priority = 1\n"
        "    def get_password(self, service, username):\n"
        "        if (service, username) == ('https://pkgs.example/', 'carol'):\n"
        "            return 'kr-secret-123'\n"
        "        return None\n"
        "    def set_password(self, service, username, password):\n"
        "        raise NotImplementedError\n"
        "    def delete_password(self, service, username):\n"
        "        raise NotImplementedError\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "memkeyring.Keyring")
    import keyring.core

    keyring.core.init_backend()
    try:
        env = {"HOME": str(home), "TWINE_USERNAME": "carol"}
        found = resolve("url", "https://pkgs.example/", env)
        assert (found.username, found.password) == ("carol", "kr-secret-123")
        assert found.source == "keyring (https://pkgs.example/)"
    finally:
        monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
        keyring.core.init_backend()


def test_local_never_uses_trusted_publishing(home: Path) -> None:
    env = {
        "HOME": str(home),
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "req-token",
        "TWINE_PASSWORD": "pw-123456",
    }
    assert resolve("local", "http://127.0.0.1:1/", env).source == "environment (TWINE_PASSWORD)"


def test_in_actions_without_any_credential_the_error_names_id_token_write(home: Path) -> None:
    """Without the permission GitHub sets no ACTIONS_ID_TOKEN_REQUEST_*: name it."""
    with pytest.raises(CredentialError) as caught:
        resolve("pypi", UPLOAD, {"HOME": str(home), "GITHUB_ACTIONS": "true"})
    assert "id-token: write" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_in_actions_another_source_still_wins_without_id_token(home: Path) -> None:
    env = {"HOME": str(home), "GITHUB_ACTIONS": "true", "PYPI_TOKEN": "pypi-fromenv"}
    assert resolve("pypi", UPLOAD, env).source == "environment (PYPI_TOKEN)"


def test_local_in_actions_without_credential_is_the_plain_message(home: Path) -> None:
    with pytest.raises(CredentialError) as caught:
        resolve("local", "http://127.0.0.1:1/", {"HOME": str(home), "GITHUB_ACTIONS": "true"})
    assert "no credential for" in str(caught.value)
    assert "id-token" not in str(caught.value)
