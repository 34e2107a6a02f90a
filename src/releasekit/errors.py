"""Every error releasekit reports to a user, and the exit code each one means.

Only the command-line layer turns these into exit codes and one-line messages;
the library raises them with the data they need. No message may contain a secret.

Exit codes (the contract, also in the README):

* 0 - success;
* 1 - a check failed or an operation was refused; nothing was changed;
* 2 - usage error: a bad argument value or an unknown task or flag;
* 3 - the release was pushed but a later step failed; the message says what to do next;
* 129, 130, 143 - stopped by SIGHUP, SIGINT (Ctrl-C) or SIGTERM (128 + the signal's number);
  the release was undone, or the message names the state and `release --continue`/`--abort`.
* 141 - the reader of the output went away (`releasekit ... | head`), reported quietly.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import ClassVar


def command(*words: str) -> str:
    """A command for a remedy, each user value quoted for the shell (`shlex.quote`).

    A hostile tag prefix such as `$(rm -rf ~)` must reach the user as text to read, never
    as something a copy and paste would run.
    """
    return shlex.join(words)


class ReleasekitError(Exception):
    """Base of every error that releasekit reports to a user without a traceback."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(ReleasekitError):
    """A command-line argument has a value that releasekit cannot accept."""

    exit_code = 2


class TagError(UsageError, ValueError):
    """A tag is not a release tag under the tag rules."""


class VersionError(UsageError, ValueError):
    """A version string or a bump request cannot give a valid new version."""


class ConfigError(ReleasekitError):
    """The project's configuration (pyproject.toml, `[tool.releasekit]`) is not usable."""


class VersionPlaceError(ReleasekitError):
    """The places that hold the project's version are missing, ambiguous or disagree."""


class TagMismatchError(ReleasekitError):
    """A release tag names a version other than the project's current version."""


class WriteError(ReleasekitError):
    """Writing a file failed; the files already written were restored."""


class ChangelogError(ReleasekitError):
    """The changelog cannot be read or changed as asked."""


class GitError(ReleasekitError):
    """A git operation failed or the repository is not in the expected state."""


class ChecksFailedError(ReleasekitError):
    """One or more pre-release checks failed; nothing was changed."""

    def __init__(self, failures: Sequence[str]) -> None:
        self.failures = list(failures)
        lines = "\n".join(f"  - {failure}" for failure in self.failures)
        super().__init__(f"{len(self.failures)} check(s) failed, nothing was changed:\n{lines}")


class LockError(ReleasekitError):
    """Another releasekit release is already running in this repository."""


class ReleaseError(ReleasekitError):
    """A release step failed; the repository was restored to where it started."""


class ReleaseInterruptedError(ReleaseError):
    """The release was stopped by SIGINT (Ctrl-C) before its push; see the message."""

    exit_code = 130


class ReleaseTerminatedError(ReleaseInterruptedError):
    """The release was stopped by SIGTERM (timeout, a cancelled job, docker stop)."""

    exit_code = 143


class ReleaseHangupError(ReleaseInterruptedError):
    """The release was stopped by SIGHUP (the terminal went away)."""

    exit_code = 129


class ReleaseInProgressError(ReleasekitError):
    """A stopped release waits for `release --continue` or `release --abort`."""


class JournalError(ReleasekitError):
    """The release journal cannot be read, or does not match the repository."""


class PushedButIncompleteError(ReleasekitError):
    """The release was pushed, but a step after the push failed."""

    exit_code = 3


class BuildError(ReleasekitError):
    """Building or checking the distribution files failed."""


class PublishError(ReleasekitError):
    """Uploading to a package index failed or was refused."""


class CredentialError(ReleasekitError):
    """No usable credential, or a credential source that is unsafe to use."""


class InitConflictError(ReleasekitError):
    """`releasekit init` would overwrite existing files; nothing was changed."""


class RequirementError(UsageError):
    """`init --requirement` names something the generated files cannot install."""


class UnpublishedReleasekitError(ReleasekitError):
    """init would pin a releasekit that no index has (a development or local version)."""


class MissingSessionsError(ReleasekitError):
    """Workflows would call nox sessions that the project's noxfile does not define."""


class VerifyError(ReleasekitError):
    """What the index serves is not what was built, tested and meant to be published."""
