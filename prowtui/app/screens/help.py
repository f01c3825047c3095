"""``?``: every key of the explorer, grouped by where it works, with its id for remapping.

The rows come from the same ``Binding`` objects the footer shows, with the app's key map
applied and each key displayed by ``App.get_key_display`` as the footer displays it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

#: (where, [(key, what)]) for Textual's own keys that are not Binding objects of ours
BUILTIN_KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "tree",
        [
            ("↑ ↓", "move"),
            ("enter", "open a directory / focus a file's preview"),
            ("space", "expand or collapse"),
        ],
    ),
    (
        "triage screen",
        [
            ("enter", "a signature's builds and lines"),
            ("enter", "the builds where a test failed"),
        ],
    ),
    ("triage builds list", [("enter", "open the log at the line / junit")]),
    ("search screen", [("enter", "search; expand a job; open a line")]),
    ("jobs screen", [("any letter", "start the filter with it")]),
    ("everywhere", [("tab shift+tab", "move the focus between tree and preview")]),
]


@dataclass(frozen=True)
class KeyRow:
    """One row of the help: the keys as the footer shows them, and what they do."""

    keys: tuple[str, ...]
    description: str
    detail: str
    where: str
    binding_id: str


def binding_groups(
    app_bindings: Iterable[BindingType] = (),
) -> list[tuple[str, list[BindingType]]]:
    """The binding lists of every screen and widget of the explorer; ``app_bindings`` are the
    app's own (help is shown inside the app and takes them from it, never importing it)."""
    from prowtui.app.screens.copy_menu import CopyMenu
    from prowtui.app.screens.export import ExportScreen
    from prowtui.app.screens.goto import GotoScreen
    from prowtui.app.screens.jobs import JobsScreen
    from prowtui.app.screens.main import MainScreen
    from prowtui.app.screens.search import SearchScreen
    from prowtui.app.screens.stats import StatsScreen
    from prowtui.app.screens.triage import TriageScreen
    from prowtui.app.screens.triage_builds import TriageBuildsScreen
    from prowtui.app.widgets.binary_info import BinaryInfo
    from prowtui.app.widgets.bucket_tree import BucketTree
    from prowtui.app.widgets.events_table import EventsView
    from prowtui.app.widgets.history_strip import HistoryStrip
    from prowtui.app.widgets.jobs_table import JobsTable
    from prowtui.app.widgets.log_panel import LogPanel
    from prowtui.app.widgets.log_view import LogView
    from prowtui.app.widgets.metadata_view import MetadataView

    textual_quit = [
        replace(b, tooltip="from any screen")
        for b in App.BINDINGS
        if isinstance(b, Binding) and b.action == "quit"
    ]
    return [
        ("everywhere", [*app_bindings, *textual_quit]),
        ("main screen", list(MainScreen.BINDINGS)),
        ("tree", list(BucketTree.BINDINGS)),
        ("log and text preview", [*LogView.BINDINGS, *LogPanel.BINDINGS]),
        ("events preview", list(EventsView.BINDINGS)),
        ("metadata preview", list(MetadataView.BINDINGS)),
        ("binary / oversized preview", list(BinaryInfo.BINDINGS)),
        ("stats screen", list(StatsScreen.BINDINGS)),
        ("jobs screen", [*JobsScreen.BINDINGS, *JobsTable.BINDINGS]),
        ("triage screen", list(TriageScreen.BINDINGS)),
        ("triage history strip", list(HistoryStrip.BINDINGS)),
        ("triage builds list", list(TriageBuildsScreen.BINDINGS)),
        ("search screen", list(SearchScreen.BINDINGS)),
        ("export dialog", list(ExportScreen.BINDINGS)),
        ("go-to dialog", list(GotoScreen.BINDINGS)),
        ("copy menu", list(CopyMenu.BINDINGS)),
        ("help", list(HelpScreen.BINDINGS)),
    ]


def key_rows(app: App[object]) -> list[KeyRow]:
    """Every key of the explorer, with the app's key map applied, each key displayed as the
    footer displays it."""
    keymap: dict[str, str] = dict(getattr(app, "_keymap", {}) or {})
    rows: list[KeyRow] = []
    for where, bindings in binding_groups(type(app).BINDINGS):
        for binding in bindings:
            if not isinstance(binding, Binding):
                continue
            keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
            shown: list[str] = []
            if binding.key_display:
                shown.append(app.get_key_display(binding))
            for key in keys.split(","):
                plain = replace(binding, key=key.strip(), key_display=None)
                display = app.get_key_display(plain)
                if display not in shown:
                    shown.append(display)
            rows.append(
                KeyRow(
                    tuple(shown),
                    binding.description or binding.action,
                    binding.tooltip,
                    where,
                    binding.id or "",
                )
            )
    return rows


class HelpScreen(ModalScreen[None]):
    """A table of keys; ``esc``, ``q`` or ``?`` closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(
                Text.assemble(("Keys", "bold"), ("  (remap by id in the config's [keys])", "dim")),
                id="help-title",
            )
            yield DataTable(cursor_type="row", zebra_stripes=True, id="help-table")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("key", key="key")
        table.add_column("where", key="where")
        table.add_column("what", key="what")
        table.add_column("id", key="id")
        #: the rows shown (for tests)
        self.rows = key_rows(self.app)
        for row in self.rows:
            what = Text(row.description)
            if row.detail:
                what.append(f": {row.detail}", "dim")
            table.add_row(
                Text(" ".join(row.keys), style="bold"),
                Text(row.where, style="dim"),
                what,
                Text(row.binding_id, style="dim"),
            )
        for where, keys in BUILTIN_KEYS:
            for key, what_text in keys:
                table.add_row(
                    Text(key, style="bold"), Text(where, style="dim"), Text(what_text), Text("")
                )
        table.focus()
