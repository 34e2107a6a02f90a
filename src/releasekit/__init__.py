"""releasekit: release automation for Python packages, built on nox and invoke."""

from __future__ import annotations

# A literal, kept equal to pyproject's [project] version by releasekit itself (a release
# bumps both places); reading it from the installed metadata costs ~50 ms of start-up.
__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
