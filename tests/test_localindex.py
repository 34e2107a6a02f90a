"""The embedded local index: a real pypiserver on loopback with a generated htpasswd."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

import pytest

from releasekit.errors import PublishError
from releasekit.localindex import local_index, require_pypiserver

pytestmark = pytest.mark.slow


def test_serves_on_loopback_and_needs_the_login_to_upload() -> None:
    with local_index() as index:
        assert index.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(index.index_url) as response:  # noqa: S310 - loopback
            assert response.status == 200
        request = urllib.request.Request(index.url, data=b"x", method="POST")  # noqa: S310
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)  # noqa: S310 - loopback
        # An HTTPError holds the open response; left to the garbage collector (pytest's
        # ExceptionInfo is a reference cycle) its socket warns in whatever test runs then.
        with refused.value as error:
            assert error.code in {401, 403}
        htpasswd = index.packages.parent / "htpasswd"
        assert htpasswd.stat().st_mode & 0o777 == 0o600
        text = htpasswd.read_text()
        assert text.startswith(f"{index.username}:$apr1$")
        assert index.password not in text
        assert index.password not in repr(index)
        home, url = index.packages.parent, index.url
    assert not home.exists()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)  # noqa: S310 - loopback


def test_two_indexes_run_side_by_side() -> None:
    with local_index() as first, local_index() as second:
        assert first.url != second.url
        assert first.password != second.password


@pytest.mark.parametrize("missing", ["pypiserver", "passlib"])
def test_missing_pypiserver_is_one_line_with_the_remedy(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(PublishError) as caught:
        require_pypiserver()
    assert missing in str(caught.value)
    assert "pip install 'pypiserver[passlib]'" in str(caught.value)
    assert "\n" not in str(caught.value)
