"""The scrubber (redaction.py) on its own: whole secrets, and secrets another program cut short."""

from __future__ import annotations

import pytest

from releasekit import redaction

SECRET = "pypi-TRUNCATEDcanary0123456789abcdefXYZ"  # only these tests register it


@pytest.fixture(autouse=True)
def _registered() -> None:
    redaction.register(SECRET)


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        # pytest's short test summary cuts a long assertion message.
        (
            f"FAILED t.py::x - AssertionError: {SECRET[:20]}...",
            "FAILED t.py::x - AssertionError: ***...",
        ),
        (
            f"{SECRET[5:19]}\u2026 tail",
            "***\u2026 tail",
        ),  # without the public prefix, rich's ellipsis
        (f"{SECRET[:9]}... and {SECRET}", "***... and ***"),
        (f"{SECRET[:7]}...", f"{SECRET[:7]}..."),  # 7 characters are too few to hide
        ("Loading... pypi-...", "Loading... pypi-..."),
        (f"{SECRET[:20]} then ...", f"{SECRET[:20]} then ..."),  # not right before the ellipsis
    ],
)
def test_a_secret_cut_short_is_hidden(shown: str, expected: str) -> None:
    assert redaction.scrub(shown) == expected


def test_without_credentials_keeps_everything_else() -> None:
    environ = {
        "TWINE_PASSWORD": SECRET,
        "TWINE_USERNAME": "__token__",
        "PYPI_TOKEN": SECRET,
        "UV_PUBLISH_TOKEN": SECRET,
        "GITHUB_TOKEN": SECRET,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": SECRET,
        "PATH": "/usr/bin",
        "PIP_INDEX_URL": "https://example.invalid/simple",
    }
    assert redaction.without_credentials(environ) == {
        "PATH": "/usr/bin",
        "PIP_INDEX_URL": "https://example.invalid/simple",
    }
