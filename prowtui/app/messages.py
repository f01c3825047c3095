"""Messages that cross screens (widget-specific messages live in their widget's class)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from prowtui.app.screens.triage_session import OpenTarget


@dataclass
class GotoPath(Message):
    """Open the tree down to ``path`` (a bucket-relative key)."""

    path: str


@dataclass
class OpenInExplorer(Message):
    """Reveal and preview ``target`` in the explorer's tree (a Triage drill-down's pick)."""

    target: OpenTarget
