"""Messages that cross screens (widget-specific messages live in their widget's class)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class GotoPath(Message):
    """Open the tree down to ``path`` (a bucket-relative key)."""

    path: str
