"""Bounded waits: every network timeout and retry, its default, and how to change it.

Each limit is read from the environment (so a CI job or a slow link can change it without
touching the project), checked, and falls back to its default. A bad value is a one-line
error that names the variable. The defaults are in docs/publishing.md and docs/release.md.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from releasekit.errors import UsageError


@dataclass(frozen=True)
class Limits:
    """How long releasekit waits for the network, and how often it tries again."""

    connect: float = 10.0  # RELEASEKIT_CONNECT_TIMEOUT: to open a connection to an index
    read: float = 60.0  # RELEASEKIT_READ_TIMEOUT: silence allowed while an index answers
    index_deadline: float = 60.0  # RELEASEKIT_INDEX_DEADLINE: a whole index read, in total
    git: float = 120.0  # RELEASEKIT_GIT_TIMEOUT: a whole git call to the remote, in total
    git_low_speed: float = 30.0  # RELEASEKIT_GIT_LOW_SPEED_TIME: below 1 KiB/s this long
    index_start: float = 60.0  # RELEASEKIT_INDEX_START_TIMEOUT: the embedded index's start
    upload_attempts: int = 4  # RELEASEKIT_UPLOAD_ATTEMPTS: tries per file on a 5xx or a drop
    retry_backoff: float = 1.0  # RELEASEKIT_RETRY_BACKOFF: first wait between tries, doubling


VARIABLES: dict[str, str] = {
    "connect": "RELEASEKIT_CONNECT_TIMEOUT",
    "read": "RELEASEKIT_READ_TIMEOUT",
    "index_deadline": "RELEASEKIT_INDEX_DEADLINE",
    "git": "RELEASEKIT_GIT_TIMEOUT",
    "git_low_speed": "RELEASEKIT_GIT_LOW_SPEED_TIME",
    "index_start": "RELEASEKIT_INDEX_START_TIMEOUT",
    "upload_attempts": "RELEASEKIT_UPLOAD_ATTEMPTS",
    "retry_backoff": "RELEASEKIT_RETRY_BACKOFF",
}


def limits(environ: Mapping[str, str] | None = None) -> Limits:
    """The limits in force: the defaults, changed by any `RELEASEKIT_*` variable set."""
    env = os.environ if environ is None else environ
    values: dict[str, float | int] = {}
    for item in fields(Limits):
        name = VARIABLES[item.name]
        text = env.get(name, "").strip()
        if not text:
            continue
        if item.name == "upload_attempts":
            values[item.name] = _count(name, text)
        else:
            values[item.name] = _seconds(name, text, zero_ok=item.name == "retry_backoff")
    return Limits(**values)  # type: ignore[arg-type]


def _seconds(name: str, text: str, *, zero_ok: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        least = "0 or more" if zero_ok else "more than 0"
        msg = f"{name}={text!r} is not a number of seconds ({least}); fix or unset it"
        raise UsageError(msg)
    return value


def _count(name: str, text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        msg = f"{name}={text!r} is not a whole number of 1 or more; fix or unset it"
        raise UsageError(msg)
    return int(text)
