"""The one choke point for secrets: every credential in play, and the scrubber of all output.

Every secret releasekit learns is registered here: each `Credential` when it is made, the
credential variables of the environment, and the password of any URL's userinfo in the
arguments or the environment. `install()` puts a scrubbing stream in front of
`sys.stdout` and `sys.stderr`, so every line that leaves the process through Python —
ours, twine's and any other library's logger, warnings, tracebacks, exception texts,
echoed command lines — has every registered secret (the whole token, its body without
`pypi-`, its URL-encoded form, the HTTP Basic header made from it) and the userinfo of
every URL replaced by `***` first. Code that cuts text short must call `scrub` before
cutting, so that no part of a secret survives the cut.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TextIO, cast
from urllib.parse import quote, quote_plus, unquote, urlsplit, urlunsplit

MASK = "***"
MIN_SECRET = 4  # shorter strings are too common in ordinary text to be hidden everywhere
PYPI_TOKEN_PREFIX = "pypi-"  # noqa: S105 - the public prefix of every PyPI token
SECRET_VARIABLES = (
    "TWINE_PASSWORD",
    "PYPI_TOKEN",
    "TESTPYPI_TOKEN",
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_PASSWORD",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
)
# Variables that may hold a URL with a password in its userinfo.
URL_VARIABLES = (
    "TWINE_REPOSITORY_URL",
    "UV_PUBLISH_URL",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
)
# A username alone in a URL (`https://TOKEN@host`) is hidden only when it looks like a token.
_MIN_BARE_USER = 16
# scheme://userinfo@ : everything up to the last '@' before the path (a password may hold '@').
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s]*@")

_secrets: set[str] = set()
_ordered: list[str] = []
_guard = threading.Lock()
_holds: list[object] = []  # while not empty, the streams pass nothing on


def hide_userinfo(text: str) -> str:
    """Replace the user and password of every URL in `text` (`https://***@host/...`)."""
    return _USERINFO.sub(rf"\g<scheme>{MASK}@", text)


def public_url(url: str) -> str:
    """`url` without its userinfo (`https://u:p@host/x` -> `https://host/x`), for people."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def register(secret: str, *, username: str | None = None) -> None:
    """Remember `secret`, in every form it may be echoed in, so that no output shows it."""
    if len(secret) < MIN_SECRET:
        return
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    if secret.startswith(PYPI_TOKEN_PREFIX) and len(secret) - len(PYPI_TOKEN_PREFIX) >= MIN_SECRET:
        forms.add(secret.removeprefix(PYPI_TOKEN_PREFIX))
    if username is not None:
        # The HTTP Basic credentials a server might echo back from the Authorization header.
        forms.add(base64.b64encode(f"{username}:{secret}".encode()).decode("ascii"))
    with _guard:
        new = forms - _secrets
        if new:
            _secrets.update(new)
            # Longest first: a form inside another is hidden with it, never leaving a tail.
            _ordered[:] = sorted(_secrets, key=len, reverse=True)


def register_url(url: str) -> None:
    """Register the password (or a token-like bare username) in `url`'s userinfo."""
    try:
        netloc = urlsplit(url.strip()).netloc
    except ValueError:
        return
    userinfo, at, _host = netloc.rpartition("@")
    if not at:
        return
    user, colon, password = userinfo.partition(":")
    candidates = [password, unquote(password)] if colon else []
    if not colon and len(user) >= _MIN_BARE_USER:
        candidates += [user, unquote(user)]
    for candidate in candidates:
        register(candidate, username=unquote(user) if colon else None)


def without_credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for a child that uploads nothing: no upload or CI token variable at all."""
    return {
        name: value
        for name, value in environ.items()
        if not name.startswith(("TWINE_", "UV_PUBLISH")) and name not in SECRET_VARIABLES
    }


def register_environment(environ: Mapping[str, str]) -> None:
    """Register the secrets of the credential variables and URL variables in `environ`."""
    for name in SECRET_VARIABLES:
        value = environ.get(name, "")
        if value:
            register(value, username=environ.get("TWINE_USERNAME") or "__token__")
    for name in URL_VARIABLES:
        for url in environ.get(name, "").split():
            register_url(url)


def register_arguments(arguments: Iterable[str]) -> None:
    """Register the userinfo passwords of URLs given on the command line."""
    for argument in arguments:
        for match in re.finditer(r"[A-Za-z][A-Za-z0-9+.-]*://\S+", argument):
            register_url(match.group(0))


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Hold back all output while a secret is looked up, until it is registered.

    A keyring backend may log or warn with the secret before it returns it, that is before
    releasekit can know what to hide; what it printed is passed on only after the block,
    when the caller has registered what it found.
    """
    token = object()
    _holds.append(token)
    try:
        yield
    finally:
        _holds.remove(token)
        if not _holds:
            for stream in (sys.stdout, sys.stderr):
                if isinstance(stream, ScrubbingStream):
                    stream.release()


def scrub(text: str) -> str:
    """`text` with every registered secret and every URL's userinfo replaced by `***`.

    A secret that another program cut short (pytest's summary line shows
    ``AssertionError: pypi-AgEIcHlwaS5...``) is hidden too: the start of a secret, at
    least `MIN_TRUNCATED` characters of it, right before an ellipsis.
    """
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, MASK)
    if _ordered and any(mark in text for mark in _ELLIPSES):
        text = _hide_truncated(text)
    return hide_userinfo(text)


MIN_TRUNCATED = 8  # fewer characters of a secret's start are not worth hiding
_ELLIPSES = ("...", "\u2026")


def _hide_truncated(text: str) -> str:
    for mark in _ELLIPSES:
        start = 0
        while (at := text.find(mark, start)) >= 0:
            cut = _secret_start_before(text, at)
            if cut:
                text = text[: at - cut] + MASK + text[at:]
                at += len(MASK) - cut
            start = at + len(mark)
    return text


def _secret_start_before(text: str, end: int) -> int:
    """How many characters before `end` in `text` are the start of a registered secret."""
    best = 0
    for secret in _ordered:
        for size in range(min(len(secret), end), max(best, MIN_TRUNCATED - 1), -1):
            if text.startswith(secret[:size], end - size):
                best = size
                break
    return best


def clip(text: str, limit: int) -> str:
    """Scrub `text`, then cut it to `limit` characters: never a part of a secret."""
    clean = scrub(text)
    return clean if len(clean) <= limit else clean[:limit] + "…"


class ScrubbingStream:
    """A text stream that scrubs every complete line before passing it on.

    Text is held until its line ends (or the stream is flushed), so a secret written in
    pieces is still seen whole. Everything else is the wrapped stream's.
    """

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self._pending = ""
        self._lock = threading.RLock()

    def write(self, text: str) -> int:
        """Scrub and pass on every complete line; keep the unfinished one."""
        with self._lock:
            waiting = self._pending + text
            if _holds:
                self._pending = waiting
                return len(text)
            head, newline, tail = waiting.rpartition("\n")
            if newline:
                self.inner.write(scrub(head + newline))
            self._pending = tail
            if len(self._pending) > 1 << 16:  # a very long line without an end
                self._emit_pending()
        return len(text)

    def release(self) -> None:
        """Pass on the complete lines held back (see `held`)."""
        self.write("")

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each of `lines`."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Pass on the unfinished line (scrubbed) and flush the wrapped stream."""
        if _holds:
            return
        with self._lock:
            self._emit_pending()
            self.inner.flush()

    def _emit_pending(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self.inner.write(scrub(pending))

    @property
    def buffer(self) -> _ScrubbingBuffer:
        """Bytes written to the stream's buffer are scrubbed too."""
        return _ScrubbingBuffer(self)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class _ScrubbingBuffer:
    def __init__(self, stream: ScrubbingStream) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        encoding = getattr(self._stream.inner, "encoding", None) or "utf-8"
        self._stream.write(bytes(data).decode(encoding, "replace"))
        return len(data)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream.inner.buffer, name)


_installed = False


def install(
    environ: Mapping[str, str] | None = None, arguments: Iterable[str] | None = None
) -> None:
    """Make every line that leaves this process through Python pass through `scrub`.

    Idempotent. Registers the environment's and the arguments' secrets, wraps
    `sys.stdout` and `sys.stderr`, and points logging handlers made before at the
    wrapped streams (invoke's `--debug` configures logging before any task runs).
    """
    global _installed  # noqa: PLW0603 - one process, one set of standard streams
    register_environment(os.environ if environ is None else environ)
    register_arguments(sys.argv[1:] if arguments is None else arguments)
    replaced: dict[int, ScrubbingStream] = {}
    for name in ("stdout", "stderr"):
        current = getattr(sys, name)
        if current is None or isinstance(current, ScrubbingStream):
            continue
        wrapped = ScrubbingStream(current)
        replaced[id(current)] = wrapped
        setattr(sys, name, cast("TextIO", wrapped))
    if replaced:
        _repoint_handlers(replaced)
    if not _installed:
        _installed = True
        atexit.register(_flush_all)


def _repoint_handlers(replaced: Mapping[int, ScrubbingStream]) -> None:
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler):
                stream = replaced.get(id(handler.stream))
                if stream is not None:
                    handler.setStream(cast("TextIO", stream))


def _flush_all() -> None:
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, ScrubbingStream):
            # A closed pipe at exit is not worth a traceback.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
