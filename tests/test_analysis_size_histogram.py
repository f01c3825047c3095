"""Log-scaled size histogram: hand-checked bins and labels, the 99th percentile's outliers,
and properties over random sizes (every size in exactly the bin that covers it)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from prowtui.analysis.size_histogram import SizeBin, bin_index, size_histogram
from prowtui.units import human_size


def test_the_skewed_job_of_the_issue_spreads_over_readable_bins() -> None:
    # 240 builds of 8-40 KiB, one 186 B log that never started, one 30 MB log that looped
    sizes = [("tiny", 186), ("huge", 30_000_000)]
    sizes += [(str(i), 8192 + 128 * i) for i in range(240)]
    hist = size_histogram(sizes)
    labels = [b.label for b in hist.bins]
    assert labels[0] == "64 B – 256 B"
    assert labels[-1] == "16.0 MiB – 64.0 MiB"
    assert "4.0 KiB – 16.0 KiB" in labels and "16.0 KiB – 64.0 KiB" in labels
    by_label = {b.label: b.count for b in hist.bins}
    assert by_label["64 B – 256 B"] == 1
    assert by_label["16.0 MiB – 64.0 MiB"] == 1
    assert by_label["4.0 KiB – 16.0 KiB"] + by_label["16.0 KiB – 64.0 KiB"] == 240
    # empty bins between stay, so the shape is honest
    assert by_label["1.0 MiB – 4.0 MiB"] == 0
    # the 99th percentile of 242 values: the top three are beyond it, biggest first
    threshold = float(np.percentile([s for _, s in sizes], 99))
    assert hist.threshold == pytest.approx(threshold)
    assert hist.beyond[0] == ("huge", 30_000_000)
    assert [name for name, _ in hist.beyond] == ["huge", "239", "238"]
    assert sum(b.beyond for b in hist.bins) == 3
    assert hist.bins[-1].beyond == 1


def test_empty_logs_get_their_own_bin_and_no_input_gives_no_bins() -> None:
    hist = size_histogram([("a", 0), ("b", 0), ("c", 5)])
    assert hist.bins[0] == SizeBin(0, 1, 2, 0)
    assert hist.bins[0].label == "0 B"
    assert hist.bins[1].label == f"{human_size(4)} – {human_size(16)}"
    empty = size_histogram([])
    assert empty.bins == () and empty.threshold is None and empty.beyond == ()
    assert empty.total == 0 and empty.peak == 0


def test_all_equal_sizes_have_nothing_beyond_the_percentile() -> None:
    hist = size_histogram([(str(i), 1000) for i in range(50)])
    assert len(hist.bins) == 1 and hist.bins[0].count == 50
    assert hist.beyond == ()


def test_bin_index_is_the_floor_of_the_logarithm() -> None:
    assert [bin_index(s) for s in (0, 1, 3, 4, 15, 16, 1023, 1024)] == [-1, 0, 0, 1, 1, 2, 4, 5]
    with pytest.raises(ValueError):
        size_histogram([("a", 1)], base=1)


@given(st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=300))
def test_every_size_lands_in_the_bin_that_covers_it(sizes: list[int]) -> None:
    hist = size_histogram((str(i), s) for i, s in enumerate(sizes))
    assert hist.total == len(sizes)
    bins = [b for b in hist.bins if b.high > 1]
    for left, right in itertools.pairwise(bins):
        assert left.high == right.low
    for b in hist.bins:
        assert b.count == sum(1 for s in sizes if b.low <= s < b.high)
    threshold = float(np.percentile(np.array(sizes, dtype=np.float64), 99))
    assert sorted(s for _, s in hist.beyond) == sorted(s for s in sizes if s > threshold)
    assert sum(b.beyond for b in hist.bins) == len(hist.beyond)
