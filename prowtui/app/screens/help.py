"""``?``: every key of the explorer, grouped by where it works, with its id for remapping."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

#: (where, [(key, what)]) for keys that are not Binding objects of our own classes
BUILTIN_KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "tree",
        [
            ("↑ ↓ / j k", "move"),
            ("enter", "open a directory / focus a file's preview"),
            ("space", "expand or collapse"),
            ("l / h", "expand / collapse or go to the parent"),
            ("g / G", "top / bottom"),
        ],
    ),
    (
        "triage screen",
        [
            ("enter on a signature", "its builds with the example line"),
            ("enter on a test", "the builds where it failed, with the message"),
            ("enter on a build there", "open its log at that line / its junit file"),
        ],
    ),
    (
        "everywhere",
        [
            ("tab / shift+tab", "move focus between tree and preview"),
            ("ctrl+p", "command palette (every action by name)"),
        ],
    ),
]


def binding_groups() -> list[tuple[str, list[BindingType]]]:
    """The binding lists of every screen and widget of the explorer."""
    from prowtui.app.app import ProwtuiApp
    from prowtui.app.screens.main import MainScreen
    from prowtui.app.screens.stats import StatsScreen
    from prowtui.app.widgets.binary_info import BinaryInfo
    from prowtui.app.widgets.bucket_tree import BucketTree
    from prowtui.app.widgets.events_table import EventsView
    from prowtui.app.widgets.metadata_view import MetadataView

    groups: list[tuple[str, list[BindingType]]] = [
        ("everywhere", list(ProwtuiApp.BINDINGS)),
        ("main screen", list(MainScreen.BINDINGS)),
        ("tree", list(BucketTree.BINDINGS)),
        ("events preview", list(EventsView.BINDINGS)),
        ("metadata preview", list(MetadataView.BINDINGS)),
        ("binary / oversized preview", list(BinaryInfo.BINDINGS)),
        ("stats screen", list(StatsScreen.BINDINGS)),
    ]
    from prowtui.app.screens.triage import TriageScreen
    from prowtui.app.screens.triage_builds import TriageBuildsScreen
    from prowtui.app.widgets.history_strip import HistoryStrip

    groups.append(("triage screen", list(TriageScreen.BINDINGS)))
    groups.append(("triage history strip", list(HistoryStrip.BINDINGS)))
    groups.append(("triage builds list", list(TriageBuildsScreen.BINDINGS)))
    from prowtui.app.widgets.log_panel import LogPanel
    from prowtui.app.widgets.log_view import LogView

    groups.append(("log and text preview", [*LogView.BINDINGS, *LogPanel.BINDINGS]))
    groups.append(("help", list(HelpScreen.BINDINGS)))
    return groups


def key_label(key: str) -> str:
    """A readable key name."""
    names = {
        "question_mark": "?",
        "slash": "/",
        "escape": "esc",
        "right_square_bracket": "]",
        "left_square_bracket": "[",
    }
    return ",".join(names.get(k.strip(), k.strip()) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    """A table of keys; ``esc``, ``q`` or ``?`` closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(
                Text.assemble(
                    ("Keys", "bold"), ("  (remap by id in the config's [keys] table)", "dim")
                ),
                id="help-title",
            )
            yield DataTable(cursor_type="row", zebra_stripes=True, id="help-table")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("key", key="key")
        table.add_column("id", key="id")
        table.add_column("what", key="what")
        table.add_column("where", key="where")
        keymap = getattr(self.app, "_keymap", {}) or {}
        for where, bindings in binding_groups():
            for binding in bindings:
                if not isinstance(binding, Binding):
                    continue
                key = keymap.get(binding.id, binding.key) if binding.id else binding.key
                table.add_row(
                    Text(key_label(key), style="bold"),
                    Text(binding.id or "", style="dim"),
                    Text(binding.description or binding.action),
                    Text(where, style="dim"),
                )
        for where, keys in BUILTIN_KEYS:
            for key, what in keys:
                table.add_row(
                    Text(key, style="bold"), Text(""), Text(what), Text(where, style="dim")
                )
        table.focus()
