"""The `invoke` door for tests: exactly what a project's tasks.py holds."""

from releasekit.tasks import ns

__all__ = ["ns"]
