"""The project's error types. Everything prowtui raises on purpose derives from ProwtuiError."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, else its type's name (for one-line reports)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class ProwtuiError(Exception):
    """Base class of every error prowtui raises deliberately; its message is one line for users."""


class SourceError(ProwtuiError):
    """A source could not list or read a path."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class NotFound(SourceError):
    """The path does not exist in the bucket (or is not a directory when a listing was asked)."""


class AccessDenied(SourceError):
    """The server refused access (HTTP 401/403)."""


class Unreachable(SourceError):
    """The server could not be reached, timed out, or kept failing after retries."""


class BadResponse(SourceError):
    """The server answered with something that cannot be used (truncated, malformed, ...)."""


class NotCached(SourceError):
    """Offline mode: the path was never fetched, so it is not in the cache."""


class ParseError(ProwtuiError):
    """An artifact could not be parsed; the message names the file."""

    def __init__(self, message: str, file: str = "") -> None:
        super().__init__(f"{file}: {message}" if file else message)
        self.file = file


class TooLarge(ParseError):
    """An artifact is larger than the documented limit for parsing it whole."""


class UsageError(ProwtuiError):
    """The user asked for something malformed (a bad source spec, URL or range)."""
