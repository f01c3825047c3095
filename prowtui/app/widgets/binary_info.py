"""What is shown instead of a binary or oversized object: its size, type and how to load it."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from prowtui.safetext import inert
from prowtui.units import human_size


class BinaryInfo(Static, can_focus=True):
    """Size and type of an object that is not previewed automatically; ``L`` loads it anyway."""

    BINDINGS = [Binding("L", "load_anyway", "Load anyway", id="preview.load_anyway")]

    DEFAULT_CSS = """
    BinaryInfo { padding: 1 2; height: auto; }
    """

    class LoadAnyway(Message):
        """The user asked to load ``path`` as text despite its kind or size."""

        def __init__(self, path: str) -> None:
            self.path = path
            super().__init__()

    def __init__(self, path: str, size: int | None, kind: str, reason: str) -> None:
        super().__init__(self._describe(path, size, kind, reason))
        self.path = path

    @staticmethod
    def _describe(path: str, size: int | None, kind: str, reason: str) -> Text:
        text = Text()
        text.append("Not previewed: ", "bold")
        text.append(inert(reason) + "\n\n")
        text.append("object  ", "dim")
        text.append(inert(path) + "\n")
        text.append("size    ", "dim")
        text.append(
            f"{human_size(size) or 'unknown'}" + (f" ({size:,} bytes)" if size else "") + "\n"
        )
        text.append("type    ", "dim")
        text.append(inert(kind) + "\n\n")
        text.append("Press ")
        text.append("L", "bold reverse")
        text.append(" to load it anyway as text (control characters are shown escaped).")
        return text

    def action_load_anyway(self) -> None:
        self.post_message(self.LoadAnyway(self.path))
