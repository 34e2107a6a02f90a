"""releasekit's own tasks: the package's collection, so `invoke release` dogfoods it."""

from releasekit.tasks import ns

__all__ = ["ns"]
