"""Renderables of a job's statistics: completeness, presence bars, log sizes, results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from prowtui.analysis.size_histogram import SizeHistogram
from prowtui.app.widgets.bucket_tree import RESULT_STYLES
from prowtui.safetext import inert
from prowtui.units import human_size

BAR_WIDTH = 30
#: how many entry combinations are listed per block
MAX_PATTERNS = 8
#: builds named as beyond the 99th percentile under the histogram
BEYOND_SHOWN = 5
#: builds that could not be read, listed with their reason
MAX_FAILURES = 20


def bar(share: float, width: int = BAR_WIDTH, style: str = "green") -> Text:
    """A horizontal bar for a share in [0, 1]."""
    share = min(max(share, 0.0), 1.0)
    full = max(1, round(share * width)) if share > 0 else 0  # a nonzero share stays visible
    return Text.assemble(("█" * full, style), ("░" * (width - full), "dim"))


def _title(text: str) -> Text:
    return Text(text, style="bold underline")


def results_block(results: Mapping[str, int], builds: int) -> RenderableType:
    """Result counts with bars."""
    table = Table(box=None, show_header=False, padding=(0, 1))
    for result, n in results.items():
        symbol, style = RESULT_STYLES.get(str(result), RESULT_STYLES["UNKNOWN"])
        share = n / builds if builds else 0.0
        table.add_row(
            Text(f"{symbol} {inert(result)}", style=style),
            Text(str(n), justify="right"),
            Text(f"{share:.1%}", justify="right"),
            bar(share, style=style.replace("bold ", "") or "white"),
        )
    return Group(_title("Results"), table)


def completeness_block(name: str, block: Mapping[str, Any]) -> RenderableType:
    """Entry-count distribution and the most common entry combinations."""
    dist = Table(title=None, box=None, padding=(0, 1))
    dist.add_column("entries", justify="right")
    dist.add_column("builds", justify="right")
    for entries, builds in dict(block.get("entry_count_distribution", {})).items():
        dist.add_row(Text(inert(entries)), Text(str(builds)))
    combos = Table(box=None, padding=(0, 1))
    combos.add_column("share", justify="right")
    combos.add_column("builds", justify="right")
    combos.add_column("entries")
    patterns = list(block.get("patterns", []))
    for pattern in patterns[:MAX_PATTERNS]:
        combos.add_row(
            Text(f"{float(pattern.get('share', 0.0)):.1%}"),
            Text(str(pattern.get("builds", 0))),
            Text(inert(", ".join(str(e) for e in pattern.get("entries", []))) or "(empty)"),
        )
    more = len(patterns) - MAX_PATTERNS
    parts: list[RenderableType] = [
        _title(f"Completeness: {name}"),
        Text("entry-count distribution", style="dim"),
        dist,
        Text(f"{len(patterns)} combinations", style="dim"),
        combos,
    ]
    if more > 0:
        parts.append(Text(f"… and {more} more", style="dim"))
    return Group(*parts)


def presence_block(presence: Mapping[str, float]) -> RenderableType:
    """One bar per well-known file: the share of builds that have it."""
    table = Table(box=None, show_header=False, padding=(0, 1))
    for path, share in presence.items():
        style = "green" if share >= 0.99 else "yellow" if share >= 0.5 else "red"
        table.add_row(
            Text(inert(path)),
            bar(float(share), style=style),
            Text(f"{float(share):.1%}", justify="right"),
        )
    return Group(_title("Presence of well-known files"), table)


def _describe_cell(key: str, value: object, *, size: bool) -> Text:
    if value is None:
        return Text("–", style="dim")
    number = float(value)  # type: ignore[arg-type]
    if key == "count":
        return Text(f"{int(number):,}")
    if size:
        return Text(human_size(number))
    return Text(f"{number:,.0f}" if number >= 100 or number.is_integer() else f"{number:,.1f}")


def measures_table(
    sizes: Mapping[str, Any], content: Mapping[str, Mapping[str, Any]] | None
) -> Table:
    """``describe()`` of the log sizes, with chars, words and lines beside them once measured
    (one row per statistic, one column per measure, so that it fits 80 columns)."""
    columns: dict[str, Mapping[str, Any]] = {"bytes": sizes}
    for name in ("chars", "words", "lines"):
        if content and name in content:
            columns[name] = content[name]
    table = Table(box=None, padding=(0, 1))
    table.add_column("")
    for name in columns:
        table.add_column(name, justify="right")
    for key in list(sizes) or ["count"]:
        cells = [
            _describe_cell(key, col.get(key), size=name == "bytes") for name, col in columns.items()
        ]
        table.add_row(Text(str(key), style="dim"), *cells)
    return table


def histogram_table(hist: SizeHistogram) -> RenderableType:
    """Log-scaled bins in human sizes, the builds beyond the 99th percentile marked."""
    if not hist.bins:
        return Text("no build logs", style="dim")
    table = Table(box=None, show_header=False, padding=(0, 1))
    for b in hist.bins:
        marker = Text(f"▲ {b.beyond}", style="bold yellow") if b.beyond else Text("")
        table.add_row(
            Text(b.label, justify="right"),
            bar(b.count / hist.peak if hist.peak else 0.0, style="cyan"),
            Text(str(b.count), justify="right"),
            marker,
        )
    parts: list[RenderableType] = [table]
    if hist.beyond and hist.threshold is not None:
        note = Text(f"▲ beyond the {hist.percentile:g}th percentile ", style="yellow")
        note.append(f"({human_size(hist.threshold)}): ", "dim")
        shown = hist.beyond[:BEYOND_SHOWN]
        note.append(", ".join(f"{inert(n)} {human_size(size)}" for n, size in shown))
        if len(hist.beyond) > len(shown):
            note.append(f" and {len(hist.beyond) - len(shown)} more", "dim")
        parts.append(note)
    return Group(*parts)


def sizes_block(
    describe: Mapping[str, Any],
    hist: SizeHistogram,
    content: Mapping[str, Mapping[str, Any]] | None = None,
) -> RenderableType:
    """The log sizes (and text measures once computed) and their histogram."""
    hint = "" if content else "  (c: measure chars, words, lines)"
    return Group(
        Text.assemble(_title("build-log.txt"), (hint, "dim")),
        measures_table(describe, content),
        Text(""),
        Text("builds per size range (log scale)", style="dim"),
        histogram_table(hist),
    )


def failures_block(failures: Sequence[tuple[str, str, str]]) -> RenderableType:
    """The builds the crawl could not read, each with its reason."""
    table = Table(box=None, show_header=False, padding=(0, 1))
    for build_id, _path, error in failures[:MAX_FAILURES]:
        table.add_row(Text(inert(build_id), style="bold"), Text(inert(error), style="red"))
    parts: list[RenderableType] = [
        _title(f"Builds that could not be read: {len(failures)}"),
        Text("left out of every number on this screen", style="dim"),
        table,
    ]
    if len(failures) > MAX_FAILURES:
        parts.append(Text(f"… and {len(failures) - MAX_FAILURES} more", style="dim"))
    return Group(*parts)


def stats_renderables(
    doc: Mapping[str, Any],
    hist: SizeHistogram,
    failures: Sequence[tuple[str, str, str]] = (),
) -> list[RenderableType]:
    """Every block of the stats panel from ``JobStats.to_json()``, the log-size histogram and
    the builds that could not be read."""
    builds = int(doc.get("builds", 0))
    header = Text.assemble(
        ("Job ", "bold"), (inert(doc.get("job", "")), "bold cyan"), (f"   {builds} builds", "")
    )
    if failures:
        header.append(f"  ·  {len(failures)} could not be read", "bold red")
    blocks: list[RenderableType] = [header]
    if failures:
        blocks.append(failures_block(failures))
    blocks.append(results_block(dict(doc.get("results", {})), builds))
    content = doc.get("build_log")
    blocks.append(sizes_block(dict(doc.get("build_log_bytes", {})), hist, content))
    for name in ("top_level", "artifacts"):
        if name in doc:
            blocks.append(completeness_block(name.replace("_", "-"), doc[name]))
    blocks.append(presence_block(dict(doc.get("presence", {}))))
    return blocks


class StatsView(VerticalScroll):
    """The stats blocks, one Static each, in a scrollable column."""

    DEFAULT_CSS = """
    StatsView { height: 1fr; padding: 0 1; }
    StatsView > Static { margin-bottom: 1; }
    """

    #: the renderables shown (for tests and text export)
    blocks: list[RenderableType] = []

    async def show(
        self,
        doc: Mapping[str, Any],
        hist: SizeHistogram,
        failures: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        """Replace the content with the stats of ``doc``."""
        self.blocks = stats_renderables(doc, hist, failures)
        await self.remove_children()
        await self.mount_all([Static(block) for block in self.blocks])
