"""Make untrusted text inert for a terminal.

Everything read from a bucket (object names, log lines, JSON values, server messages) goes
through :func:`inert` before it is shown: control characters (C0, DEL, C1: escape sequences,
OSC clipboard writes, cursor moves) and bidi overrides become visible escapes. Rich markup is
never interpreted because display code builds ``rich.text.Text`` objects from plain strings
(never ``Text.from_markup``); :func:`inert_text` does both.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Rich is imported by inert_text, not here: plain commands never need it
    from rich.text import Text

# C0 controls except tab/newline, DEL, C1 controls, bidi embedding/override/isolate marks,
# zero-width and line/paragraph separators that can reorder or hide text.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_UNSAFE_WITH_NEWLINES = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if code == 0x1B:
        return "\\e"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def inert(value: object, *, keep_newlines: bool = False) -> str:
    """Return ``str(value)`` with every terminal-active character shown as an escape."""
    text = value if isinstance(value, str) else str(value)
    pattern = _UNSAFE if keep_newlines else _UNSAFE_WITH_NEWLINES
    return pattern.sub(_escape, text)


def inert_text(value: object, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A Rich ``Text`` of the inert form of ``value``; markup-like content stays literal."""
    from rich.text import Text

    return Text(inert(value, keep_newlines=keep_newlines), style=style)
