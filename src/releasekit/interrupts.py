"""Signals during a release: SIGINT, SIGTERM and SIGHUP stop it cleanly, never half-way.

While a release (or its `--continue`/`--abort`) runs, these signals are caught and held:
the step running in Python finishes, and a git child that is running is asked to stop
(SIGTERM, then SIGKILL after a grace period) and waited for. The release then raises
`Stopped` between steps, and its caller undoes what was done. During the undo the
signals stay held: nothing stops an undo half-way (SIGKILL aside, which the journal
covers).

Git children are run here, not through gitpython, for two reasons: the handler needs the
child to stop it, and the child's output goes to files rather than pipes, so a hook that
git left running (orphaned, still holding git's stdout) cannot keep us waiting.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

# The signals a release handles, and the exit status for each (128 + its number).
HANDLED: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
GRACE_SECONDS = 10.0  # how long a stopped git child gets before SIGKILL


class Stopped(BaseException):
    """A handled signal arrived; raised between steps, never inside one."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        """The signal's name, e.g. SIGTERM."""
        return signal.Signals(self.signum).name


@dataclass
class ChildResult:
    """What a git child left behind."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False  # killed after its `timeout`


@dataclass
class Guard:
    """Holds handled signals while installed; `check` raises `Stopped` between steps."""

    signum: int | None = None
    child: subprocess.Popen[bytes] | None = None  # the git child a signal stops
    _old: dict[int, object] = field(default_factory=dict)

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
        child = self.child
        if child is not None and child.poll() is None:
            with contextlib.suppress(OSError):
                child.terminate()

    def check(self) -> None:
        """Raise `Stopped` if a handled signal has arrived."""
        if self.signum is not None:
            raise Stopped(self.signum)

    @property
    def stopping(self) -> bool:
        """Whether a handled signal has arrived."""
        return self.signum is not None

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path,
        stoppable: bool = True,
        timeout: float | None = None,
    ) -> ChildResult:
        """Run `args` to the end, then raise `Stopped` if a signal arrived meanwhile.

        A `stoppable` child is stopped by the signal (SIGTERM, SIGKILL after a grace
        period) and waited for; one that is not (the push, whose outcome is decided on
        the remote) is waited for to its end — or killed after `timeout` seconds, if given.
        """
        self.check()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(
                list(args), cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
            if stoppable:
                self.child = proc
            try:
                timed_out = self._wait(proc, timeout)
            finally:
                self.child = None
            out.seek(0)
            err.seek(0)
            result = ChildResult(
                proc.returncode,
                out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"),
                timed_out,
            )
        self.check()  # the step's outcome is then unknown: the journal finds it out
        return result

    def _wait(self, proc: subprocess.Popen[bytes], timeout: float | None) -> bool:
        """Wait for `proc`; return whether it was killed for running past `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        timed_out = False
        while True:
            stopped = self.stopping and self.child is proc
            waits = [GRACE_SECONDS] if stopped else []
            if deadline is not None and not timed_out:
                waits.append(max(deadline - time.monotonic(), 0.0))
            try:
                proc.wait(timeout=min(waits) if waits else None)
            except subprocess.TimeoutExpired:
                if deadline is not None and time.monotonic() >= deadline:
                    timed_out = True
                proc.kill()  # it had its grace period, or its time
                continue
            return timed_out


_active: Guard | None = None


@contextlib.contextmanager
def guarded() -> Iterator[Guard]:
    """Install a `Guard` for SIGINT, SIGTERM and SIGHUP (main thread only) for the block."""
    global _active  # noqa: PLW0603 - one process, one set of signal handlers
    guard = Guard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    for handled in HANDLED:
        guard._old[handled] = signal.signal(handled, guard._handler)
    outer, _active = _active, guard
    try:
        yield guard
    finally:
        _active = outer
        for signum, old in guard._old.items():
            signal.signal(signum, old)  # type: ignore[arg-type]


def active() -> Guard | None:
    """The guard of the release running in this process, if any."""
    return _active


def exit_status(signum: int) -> int:
    """The conventional exit status after the signal `signum` (128 + its number)."""
    return 128 + signum


def run_plain(
    args: Sequence[str], *, cwd: Path, stoppable: bool = True, timeout: float | None = None
) -> ChildResult:
    """Run `args` under the active guard if there is one, else plainly (within `timeout`)."""
    guard = _active
    if guard is not None:
        return guard.run(args, cwd=cwd, stoppable=stoppable, timeout=timeout)
    try:
        done = subprocess.run(
            list(args),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        return ChildResult(-9, _text(exc.stdout), _text(exc.stderr), timed_out=True)
    return ChildResult(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def _text(data: bytes | str | None) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data or ""
