"""A readable summary of a build's metadata files, with the raw JSON a key away."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from prowtui.app.services import to_datetime
from prowtui.app.widgets.bucket_tree import RESULT_STYLES
from prowtui.app.widgets.json_view import json_renderable
from prowtui.safetext import inert


def _get(obj: Any, name: str) -> Any:
    return getattr(obj, name, None) if obj is not None else None


def _time(value: object) -> str:
    moment = to_datetime(value)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def _duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None or end < start:
        return ""
    seconds = int((end - start).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def _pulls(pulls: object) -> str:
    if not pulls:
        return ""
    parts = []
    for pull in pulls if isinstance(pulls, (list, tuple)) else [pulls]:
        if isinstance(pull, dict):
            number = pull.get("number", "?")
            author = pull.get("author", "")
            sha = str(pull.get("sha", ""))[:10]
            parts.append(f"#{number} {author} {sha}".strip())
        else:
            parts.append(str(pull))
    return ", ".join(parts)


def summary_rows(
    *,
    started: Any = None,
    finished: Any = None,
    prowjob: Any = None,
    podinfo: Any = None,
    result: str | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> list[tuple[str, Text]]:
    """Field/value rows from whichever parsed metadata documents are present."""
    rows: list[tuple[str, Text]] = []

    def add(name: str, value: object, style: str = "") -> None:
        if value not in (None, "", [], {}):
            rows.append((name, Text(inert(value), style=style)))

    if result:
        symbol, style = RESULT_STYLES.get(result, RESULT_STYLES["UNKNOWN"])
        add("result", f"{symbol} {result}", style)
    add("job", _get(prowjob, "job"))
    add("type", _get(prowjob, "type"))
    add("state", _get(prowjob, "state"))
    add("build", _get(prowjob, "build_id"))
    start = to_datetime(_get(started, "timestamp")) or to_datetime(_get(prowjob, "start_time"))
    end = to_datetime(_get(finished, "timestamp")) or to_datetime(_get(prowjob, "completion_time"))
    add("started", _time(start))
    add("finished", _time(end))
    add("duration", _duration(start, end))
    if finished is not None:
        add("passed", _get(finished, "passed"))
        add("revision", _get(finished, "revision"))
    org, repo = _get(prowjob, "org"), _get(prowjob, "repo")
    if org or repo:
        add("repo", f"{org or ''}/{repo or ''}")
    repos = _get(started, "repos")
    if isinstance(repos, dict) and repos:
        add("repos", ", ".join(f"{name} {refs}" for name, refs in repos.items()))
    add("pull", _get(started, "pull"))
    add("commit", _get(started, "repo_commit") or _get(started, "repo_version"))
    add("base ref", _get(prowjob, "base_ref"))
    add("base sha", _get(prowjob, "base_sha"))
    add("pulls", _pulls(_get(prowjob, "pulls")))
    add("cluster", _get(prowjob, "cluster"))
    add("pod", _get(prowjob, "pod_name") or _get(podinfo, "pod_name"))
    add("namespace", _get(podinfo, "namespace"))
    add("node", _get(podinfo, "node_name") or _get(started, "node"))
    add("phase", _get(podinfo, "phase"))
    containers = _get(podinfo, "containers")
    if containers:
        add("containers", len(containers))
    add("prow url", _get(prowjob, "url"))
    for name, url in links:
        add(name, url, "underline")
    return rows


class MetadataView(Vertical):
    """Summary table of metadata; ``v`` toggles the raw, highlighted JSON."""

    BINDINGS = [Binding("v", "toggle_raw", "Raw JSON", id="metadata.raw")]

    DEFAULT_CSS = """
    MetadataView { height: auto; max-height: 100%; }
    MetadataView.-raw { height: 1fr; }
    MetadataView > #metadata-title { height: 1; background: $boost; padding: 0 1; }
    MetadataView > #metadata-summary { height: auto; }
    MetadataView > #metadata-raw { display: none; height: 1fr; padding: 0 1; }
    MetadataView.-raw > #metadata-raw { display: block; }
    MetadataView.-raw > #metadata-summary { display: none; }
    """

    show_raw: reactive[bool] = reactive(False)

    def __init__(
        self,
        title: str,
        rows: Sequence[tuple[str, Text]],
        raw: Sequence[tuple[str, bytes]],
        notes: Sequence[str] = (),
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._title = title
        self._rows = list(rows)
        self._raw = list(raw)
        self._notes = list(notes)

    def compose(self) -> ComposeResult:
        yield Static(id="metadata-title")
        yield self._summary_table()
        with VerticalScroll(id="metadata-raw"):
            for name, data in self._raw:
                yield Static(Text(inert(name), style="bold underline"))
                yield Static(json_renderable(data))

    def _summary_table(self) -> DataTable:
        """The summary, filled before it is mounted so the first layout knows its height."""
        table: DataTable = DataTable(cursor_type="row", show_header=False, id="metadata-summary")
        table.add_column("field", key="field")
        table.add_column("value", key="value")
        for name, value in self._rows:
            table.add_row(Text(name, style="bold"), value)
        for note in self._notes:
            table.add_row(Text("note", style="bold yellow"), Text(inert(note), style="yellow"))
        if not self._rows and not self._notes:
            table.add_row(Text("(nothing to summarise)", style="dim italic"), Text(""))
        return table

    def _fit_height(self) -> None:
        """An explicit height: Textual sometimes keeps a stale auto height for this container."""
        if self.show_raw:
            self.styles.height = "1fr"
        else:
            self.styles.height = 1 + max(1, len(self._rows) + len(self._notes))

    def on_mount(self) -> None:
        self._fit_height()
        self._update_title()

    def _update_title(self) -> None:
        title = Text(inert(self._title), style="bold")
        title.append(
            "  v: summary" if self.show_raw else "  v: raw JSON" if self._raw else "", "dim"
        )
        self.query_one("#metadata-title", Static).update(title)

    def on_focus(self) -> None:
        target = "#metadata-raw" if self.show_raw else "#metadata-summary"
        self.query_one(target).focus()

    def watch_show_raw(self, value: bool) -> None:
        self.set_class(value, "-raw")
        if self.is_mounted:
            self._fit_height()
            self._update_title()

    def action_toggle_raw(self) -> None:
        if self._raw:
            self.show_raw = not self.show_raw
