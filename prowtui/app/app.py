"""The explorer app: wires the main screen, dialogs, app-wide keys and the command palette."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from prowtui.app.messages import GotoPath, OpenInExplorer
from prowtui.app.screens.main import MainScreen
from prowtui.app.services import Explorer
from prowtui.safetext import inert


def apply_keymap(app: App[object], mapping: Mapping[str, str]) -> None:
    """Rebind keys by binding id, e.g. ``{"tree.reload": "R", "app.goto": "ctrl+o,:"}``."""
    app.update_keymap({str(key): str(value) for key, value in mapping.items()})


class ProwtuiApp(App[None]):
    """prowtui: browse a Prow bucket, preview artifacts, summarise and export jobs."""

    TITLE = "prowtui"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("q", "close_or_quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("ctrl+g", "goto", "Go to", id="app.goto"),
        Binding("y", "copy", "Copy URL", id="app.copy"),
        # Textual's own palette binding, declared here so that it has an id and help lists it
        Binding(
            "ctrl+p",
            "command_palette",
            "palette",
            show=False,
            priority=True,
            tooltip="every action by name",
            id="app.palette",
        ),
    ]

    def __init__(self, explorer: Explorer, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.explorer = explorer
        self._initial_keymap = dict(keymap or {})

    def on_mount(self) -> None:
        self.title = inert(self.explorer.title())
        if self._initial_keymap:
            apply_keymap(self, self._initial_keymap)
        self.push_screen(MainScreen(self.explorer))

    async def on_unmount(self) -> None:
        await self.explorer.aclose()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Go to and copy act on the tree's cursor: offered only while the main screen shows."""
        if action in ("goto", "copy"):
            return isinstance(self.screen, MainScreen)
        return True

    def action_close_or_quit(self) -> None:
        """``q`` leaves the app from the main screen; on any other screen (a dialog, help,
        stats) it closes that screen, as ``esc`` does (``ctrl+q`` always quits)."""
        if isinstance(self.screen, MainScreen) or len(self.screen_stack) <= 1:
            self.exit()
            return
        self.screen.dismiss(None)

    @property
    def main_screen(self) -> MainScreen | None:
        """The main screen, wherever it is in the stack."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    @on(OpenInExplorer)
    def _open_in_explorer(self, message: OpenInExplorer) -> None:
        """A screen above (Triage) picked something to show in the tree and preview."""
        main = self.main_screen
        if main is not None:
            main.open_target(message.target)

    def action_help(self) -> None:
        """Show every key."""
        from prowtui.app.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_goto(self) -> None:
        """Ask for a path or URL and open the tree down to it."""
        from prowtui.app.screens.goto import GotoScreen

        main = self.main_screen
        if main is None or isinstance(self.screen, GotoScreen):
            return

        def done(path: str | None) -> None:
            if path is not None:
                main.post_message(GotoPath(path))

        self.push_screen(GotoScreen(self.explorer, main.current_path()), done)

    def action_copy(self) -> None:
        """Offer the gcsweb URL, gs:// path and Spyglass URL of the selected item."""
        from prowtui.app.screens.copy_menu import CopyMenu

        main = self.main_screen
        if main is None or isinstance(self.screen, CopyMenu):
            return
        path = main.current_path()
        choices = self.explorer.urls(path)
        if not choices:
            self.notify(
                f"no URL is known for /{inert(path)} on this source",
                title="copy",
                severity="warning",
                markup=False,
            )
            return

        def done(url: str | None) -> None:
            if url:
                self.copy_to_clipboard(url)
                self.notify(inert(url), title="copied", markup=False)

        self.push_screen(CopyMenu(path, choices), done)

    def _main_action(self, name: str) -> None:
        main = self.main_screen
        if main is not None:
            getattr(main, f"action_{name}")()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Go to path or URL", "Open the tree down to a path", self.action_goto)
        yield SystemCommand("Copy URL", "Copy a gcsweb, gs:// or Spyglass URL", self.action_copy)
        yield SystemCommand("Help: every key", "Show every key binding", self.action_help)
        yield SystemCommand(
            "Job stats",
            "Completeness, sizes and results of the job",
            lambda: self._main_action("stats"),
        )
        yield SystemCommand(
            "Export job", "Write the job's tables to parquet", lambda: self._main_action("export")
        )
        yield SystemCommand(
            "Triage job",
            "Why do its builds fail? History, failure signatures, flaky tests, events",
            lambda: self._main_action("triage"),
        )
        yield SystemCommand(
            "Jobs overview",
            "The jobs beneath the folder: which are red, since when, getting worse?",
            lambda: self._main_action("jobs"),
        )
        yield SystemCommand(
            "Search builds",
            "Where else does a line appear? Every build of the jobs under the cursor",
            lambda: self._main_action("search_builds"),
        )
        yield SystemCommand(
            "Reload node", "List the directory under the cursor again", self._reload
        )

    def _reload(self) -> None:
        main = self.main_screen
        if main is not None:
            main.tree.action_reload()
