"""``prowtui stats`` without ``--json`` prints the log-scaled histogram in human sizes, with
the builds beyond the 99th percentile marked and named; ``--json`` keeps its keys."""

from __future__ import annotations

import io

from rich.console import Console

from prowtui.analysis.size_histogram import build_log_histogram
from prowtui.analysis.stats import job_stats
from prowtui.commands.stats import beyond_note, histogram_rows, render
from prowtui.demo import BIG_JOB_DIR, open_demo
from prowtui.units import human_size

JSON_KEYS = {"job", "builds", "top_level", "artifacts", "presence", "results", "build_log_bytes"}


async def test_human_output_has_log_bins_and_names_the_outliers() -> None:
    stats = await job_stats(open_demo(), BIG_JOB_DIR)
    hist = build_log_histogram(stats.builds)
    console = Console(width=100, record=True, file=io.StringIO(), highlight=False)
    render(stats, console)
    text = console.export_text()
    assert "build-log.txt sizes (log scale)" in text
    for b in hist.bins:
        assert b.label in text
    # the job: sizes from hundreds of bytes to tens of MiB over ten bins
    assert hist.bins[0].label == "64 B – 256 B" and hist.bins[-1].label == "16.0 MiB – 64.0 MiB"
    assert f"beyond the 99th percentile ({human_size(hist.threshold)})" in text
    biggest, size = hist.beyond[0]
    assert f"{biggest} ({human_size(size)})" in text
    assert text.count("> p99") == sum(1 for b in hist.bins if b.beyond)
    assert set(stats.to_json()) == JSON_KEYS


def test_rows_scale_bars_to_the_peak_and_keep_nonempty_bins_visible() -> None:
    from prowtui.analysis.size_histogram import size_histogram

    hist = size_histogram([("a", 10), ("b", 11), ("c", 12), ("d", 5000)])
    rows = histogram_rows(hist, width=20)
    assert [r[1] for r in rows] == [b.count for b in hist.bins]
    assert rows[0][2] == "█" * 20  # the peak bin fills the width
    assert all((r[2] != "") == (r[1] > 0) for r in rows)
    assert beyond_note(hist).startswith("▲ 1 build(s) beyond the 99th percentile")
    assert beyond_note(size_histogram([])) == ""
