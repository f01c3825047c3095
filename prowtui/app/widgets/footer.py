"""The footer of every explorer screen: compact, and without the palette hint, when narrow."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

#: below this many columns the footer drops its padding and the ``^p palette`` hint (ctrl+p
#: still opens the palette, and ``?`` lists it), so the screen's own keys stay visible
NARROW = 100


class AppFooter(Footer):
    """Textual's footer, fitted to the terminal's width."""

    def on_mount(self) -> None:
        self._fit(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(self.app.size.width)

    def _fit(self, width: int) -> None:
        narrow = width < NARROW
        if self.compact != narrow or self.show_command_palette == narrow:
            self.compact = narrow
            self.show_command_palette = not narrow
            self.call_after_refresh(self.recompose)
