"""Renderables of a job's statistics: completeness, presence bars, log sizes, results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from prowtui.app.widgets.bucket_tree import RESULT_STYLES
from prowtui.safetext import inert
from prowtui.units import human_size

BAR_WIDTH = 30
#: how many entry combinations are listed per block
MAX_PATTERNS = 8


def bar(share: float, width: int = BAR_WIDTH, style: str = "green") -> Text:
    """A horizontal bar for a share in [0, 1]."""
    share = min(max(share, 0.0), 1.0)
    full = round(share * width)
    return Text.assemble(("█" * full, style), ("░" * (width - full), "dim"))


def histogram(values: Sequence[int], bins: int = 10) -> list[tuple[int, int, int]]:
    """(low, high, count) for ``bins`` equal-width bins over ``values``."""
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [(low, high, len(values))]
    step = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / step), bins - 1)] += 1
    return [(int(low + i * step), int(low + (i + 1) * step), counts[i]) for i in range(bins)]


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


def sizes_block(describe: Mapping[str, Any], sizes: Sequence[int]) -> RenderableType:
    """The describe() table of build-log sizes and a histogram."""
    table = Table(box=None, padding=(0, 1))
    for key in describe:
        table.add_column(str(key), justify="right")
    row = []
    for key, value in describe.items():
        if value is None:
            row.append(Text("–", style="dim"))
        elif key == "count":
            row.append(Text(str(value)))
        else:
            row.append(Text(human_size(int(value))))
    table.add_row(*row)
    hist = Table(box=None, show_header=False, padding=(0, 1))
    bins = histogram(list(sizes))
    peak = max((n for _, _, n in bins), default=0)
    for low, high, n in bins:
        hist.add_row(
            Text(f"{human_size(low)} – {human_size(high)}", justify="right"),
            bar(n / peak if peak else 0.0, style="cyan"),
            Text(str(n), justify="right"),
        )
    return Group(
        _title("build-log.txt size"),
        table,
        Text(""),
        Text("histogram (builds per size range)", style="dim"),
        hist if bins else Text("no build logs", style="dim"),
    )


def stats_renderables(doc: Mapping[str, Any], log_sizes: Sequence[int]) -> list[RenderableType]:
    """Every block of the stats panel from ``JobStats.to_json()`` and the log sizes."""
    builds = int(doc.get("builds", 0))
    header = Text.assemble(
        ("Job ", "bold"), (inert(doc.get("job", "")), "bold cyan"), (f"   {builds} builds", "")
    )
    blocks: list[RenderableType] = [header]
    blocks.append(results_block(dict(doc.get("results", {})), builds))
    for name in ("top_level", "artifacts"):
        if name in doc:
            blocks.append(completeness_block(name.replace("_", "-"), doc[name]))
    blocks.append(presence_block(dict(doc.get("presence", {}))))
    blocks.append(sizes_block(dict(doc.get("build_log_bytes", {})), log_sizes))
    return blocks


class StatsView(VerticalScroll):
    """The stats blocks, one Static each, in a scrollable column."""

    DEFAULT_CSS = """
    StatsView { height: 1fr; padding: 0 1; }
    StatsView > Static { margin-bottom: 1; }
    """

    #: the renderables shown (for tests and text export)
    blocks: list[RenderableType] = []

    async def show(self, doc: Mapping[str, Any], log_sizes: Sequence[int]) -> None:
        """Replace the content with the stats of ``doc``."""
        self.blocks = stats_renderables(doc, log_sizes)
        await self.remove_children()
        await self.mount_all([Static(block) for block in self.blocks])
