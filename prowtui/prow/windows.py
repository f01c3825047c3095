"""Time windows over a job's builds, and the time hidden in a Prow build ID.

Prow build IDs are snowflake IDs: ``(id >> 22) + SNOWFLAKE_EPOCH_MS`` is the moment the
ProwJob was created, in epoch milliseconds (its pod starts seconds to minutes later). So a job's
listing alone tells which builds can fall into a window, before any file of a build is read.

A report compares two windows of equal length ``since`` ending at ``now``: the *current* one
``(now - since, now]`` and the *previous* one ``(now - 2*since, now - since]``. A build belongs
to the window holding its start (``started.json``'s timestamp, else its ID's time). A build
whose ID time is more than :data:`EDGE_MARGIN` outside both windows is never read; one within
that margin of an edge is read and placed by its ``started.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from prowtui.errors import UsageError

#: Twitter's snowflake epoch, which Prow's build IDs use (epoch milliseconds)
SNOWFLAKE_EPOCH_MS = 1288834974657
#: how far an ID's time may be from a window's edge and still be read to place it
EDGE_MARGIN = timedelta(hours=1)
#: the longest ``--since`` taken (a window reaching back before Prow makes no sense)
MAX_SINCE = timedelta(weeks=520)

WindowName = Literal["current", "previous"]

_SINCE = re.compile(r"\s*([0-9]{1,6})\s*([hdw])\s*", re.IGNORECASE)
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
#: decimal IDs longer than this are not snowflakes (a 64-bit ID has at most 20 digits)
_MAX_ID_DIGITS = 20


def snowflake_time(build_id: str) -> datetime | None:
    """The UTC time encoded in a Prow build ID; None when ``build_id`` is not a decimal ID
    (or an ID too small to carry a time: old sequential Jenkins-era build numbers)."""
    text = build_id.strip().rstrip("/")
    if not text or len(text) > _MAX_ID_DIGITS or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    if value >> 22 == 0:
        return None  # a sequential build number, not a snowflake
    millis = (value >> 22) + SNOWFLAKE_EPOCH_MS
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_since(text: str) -> timedelta:
    """A window length: ``Nh``, ``Nd`` or ``Nw`` (N > 0); anything else is a UsageError."""
    match = _SINCE.fullmatch(text or "")
    if match is None:
        raise UsageError(f"--since {text!r}: expected hours, days or weeks, like 12h, 7d or 2w")
    count, unit = int(match.group(1)), match.group(2).lower()
    if count <= 0:
        raise UsageError(f"--since {text!r}: the window must be longer than zero")
    since = count * _UNITS[unit]
    if since > MAX_SINCE:
        raise UsageError(f"--since {text!r}: at most {MAX_SINCE.days // 7} weeks")
    return since


def parse_now(text: str | None) -> datetime | None:
    """The report's end time from ISO 8601 text (UTC when no offset is given); None for None
    or ``latest`` (the caller takes the newest build's ID time). Bad text is a UsageError."""
    if text is None or text.strip().lower() == "latest":
        return None
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1:] in "zZ" else raw)
    except ValueError:
        raise UsageError(
            f"--now {text!r}: expected an ISO 8601 time like 2024-05-01T12:00:00Z, or latest"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """ISO 8601 UTC with ``Z`` (seconds, plus microseconds when there are any)."""
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


@dataclass(frozen=True)
class Windows:
    """The current window ``(now - since, now]`` and the previous one before it,
    ``(now - 2*since, now - since]``."""

    now: datetime
    since: timedelta

    @property
    def start(self) -> datetime:
        """Where the current window begins (exclusive)."""
        return self.now - self.since

    @property
    def previous_start(self) -> datetime:
        """Where the previous window begins (exclusive)."""
        return self.now - 2 * self.since

    def which(self, t: datetime) -> WindowName | None:
        """The window holding time ``t``, or None outside both."""
        if self.start < t <= self.now:
            return "current"
        if self.previous_start < t <= self.start:
            return "previous"
        return None

    def may_hold(self, id_time: datetime) -> bool:
        """Whether a build whose ID has this time can start in a window (False: never read it)."""
        return self.previous_start - EDGE_MARGIN < id_time <= self.now + EDGE_MARGIN

    def near_edge(self, id_time: datetime) -> bool:
        """Whether an ID time is within :data:`EDGE_MARGIN` of a window edge (the build is
        then placed by its ``started.json``, which may put it on the other side)."""
        edges = (self.previous_start, self.start, self.now)
        return any(abs(id_time - edge) <= EDGE_MARGIN for edge in edges)
