"""``y``: a small menu of the selected item's URLs; the chosen one goes to the clipboard."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from prowtui.safetext import inert


class CopyMenu(ModalScreen[str | None]):
    """Pick one of (label, url); dismisses with the url."""

    CSS_PATH = "copy_menu.tcss"
    BINDINGS = [Binding("escape,q", "cancel", "Cancel", id="copy.cancel")]

    def __init__(self, path: str, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.path = path
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical(id="copy-box"):
            yield Static(Text.assemble(("Copy ", "bold"), (inert("/" + self.path), "")))
            options = []
            for index, (label, url) in enumerate(self.choices):
                prompt = Text.assemble(
                    (f"{index + 1}  {label}\n", "bold"), (f"   {inert(url)}", "dim")
                )
                options.append(Option(prompt, id=str(index)))
            yield OptionList(*options, id="copy-options")
            yield Static(Text("enter or 1-3: copy  ·  esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_key(self, event) -> None:
        if event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(self.choices):
                event.stop()
                self.dismiss(self.choices[index][1])

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)
