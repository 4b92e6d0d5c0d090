"""Errors that say what was wrong and where.

Every error raised on bad input names its source (file and key path, topic, frame or sensor) so a
user can find the problem without reading a traceback from deep inside numpy.
"""
from __future__ import annotations


class TaishanError(Exception):
    """Base class of every error Taishan raises on purpose."""


class ConfigError(TaishanError):
    """An invalid configuration file: names the file, the key path and what was expected."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"invalid config {path}:\n{lines}")


class InputError(TaishanError):
    """Bad input data (a message, a file line, a measurement): names the source and the reason."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class UnknownFrameError(InputError):
    """A frame id that the transform tree or the vehicle config does not know."""


class StampOrderError(InputError):
    """A stamp that is older than what a consumer can still accept."""
