"""The `releasekit` console script: an invoke Program over the package's collection."""

from __future__ import annotations

import sys

from invoke.exceptions import Exit, ParseError
from invoke.program import Program

from releasekit import __version__, redaction
from releasekit.errors import UsageError
from releasekit.tasks import BROKEN_PIPE_EXIT, ns, reader_gone


class ReleasekitProgram(Program):
    """invoke's Program, with usage errors exiting with releasekit's code for them."""

    def parse_core(self, argv: list[str] | None) -> None:
        """Parse core flags; a parse error is a usage error."""
        try:
            super().parse_core(argv)
        except ParseError as exc:
            raise Exit(f"releasekit: error: {exc}", code=UsageError.exit_code) from None

    def parse_tasks(self) -> None:
        """Parse the tasks and their flags; a parse error is a usage error."""
        try:
            super().parse_tasks()
        except ParseError as exc:
            raise Exit(f"releasekit: error: {exc}", code=UsageError.exit_code) from None


program = ReleasekitProgram(
    name="releasekit", binary="releasekit", namespace=ns, version=__version__
)


def main() -> None:
    """Run the releasekit command line; every line it prints passes the secret scrubber."""
    redaction.install()
    try:
        program.run()
    except BrokenPipeError:  # `releasekit --help | head`: no traceback, the shell's status
        reader_gone(both=True)
        sys.exit(BROKEN_PIPE_EXIT)
