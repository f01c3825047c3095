"""A histogram of sizes people can read: log-scaled bins labelled in human sizes, and the
values beyond the 99th percentile named.

Build-log sizes span five orders of magnitude (a 186 B log of a build that never started, a
30 MB log of one that looped), so equal-width bins put nearly every build in the first one.
Bins here are powers of four bytes (``1.0 KiB – 4.0 KiB``, ``4.0 KiB – 16.0 KiB``, ...), every
bin from the smallest size's to the largest's (empty ones too, so the shape stays honest), and
empty (0 B) logs get a bin of their own. The 99th percentile is numpy's linear interpolation
(:func:`prowtui.analysis.describe.percentile`, as ``describe()`` computes its quartiles); the
builds strictly above it are listed, biggest first, and counted in their bins. Pure: the CLI
and the stats screen only render the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from prowtui.analysis.describe import percentile as linear_percentile
from prowtui.units import human_size

#: each bin is this many times wider than the one before
BASE = 4
#: the percentile beyond which builds are named
PERCENTILE = 99.0


@dataclass(frozen=True, slots=True)
class SizeBin:
    """Sizes in ``[low, high)`` bytes: how many, and how many of them beyond the percentile."""

    low: int
    high: int
    count: int
    beyond: int = 0

    @property
    def label(self) -> str:
        """``1.0 KiB – 4.0 KiB``, or ``0 B`` for the bin of empty logs."""
        if self.high <= 1:
            return human_size(0)
        return f"{human_size(self.low)} – {human_size(self.high)}"


@dataclass(frozen=True, slots=True)
class SizeHistogram:
    """Log-scaled bins, the percentile's value and the items beyond it (biggest first)."""

    bins: tuple[SizeBin, ...]
    threshold: float | None
    beyond: tuple[tuple[str, int], ...]
    percentile: float = PERCENTILE

    @property
    def total(self) -> int:
        """How many sizes were counted."""
        return sum(b.count for b in self.bins)

    @property
    def peak(self) -> int:
        """The largest bin's count (0 when empty)."""
        return max((b.count for b in self.bins), default=0)


def bin_index(size: int, base: int = BASE) -> int:
    """The exponent ``k`` with ``base**k <= size < base**(k+1)``; -1 for an empty size."""
    if size < 1:
        return -1
    k = 0
    while base ** (k + 1) <= size:
        k += 1
    return k


def size_histogram(
    items: Iterable[tuple[str, int]],
    *,
    base: int = BASE,
    percentile: float = PERCENTILE,
) -> SizeHistogram:
    """The histogram of ``(name, size)`` pairs (negative sizes count as empty)."""
    if base < 2:
        raise ValueError("the base must be at least 2")
    pairs = [(str(name), max(0, int(size))) for name, size in items]
    if not pairs:
        return SizeHistogram((), None, (), percentile)
    threshold = linear_percentile(sorted(float(size) for _, size in pairs), percentile)
    beyond = sorted(
        ((name, size) for name, size in pairs if size > threshold),
        key=lambda pair: (-pair[1], pair[0]),
    )
    counts: dict[int, int] = {}
    outside: dict[int, int] = {}
    for _, size in pairs:
        k = bin_index(size, base)
        counts[k] = counts.get(k, 0) + 1
    for _, size in beyond:
        k = bin_index(size, base)
        outside[k] = outside.get(k, 0) + 1
    exponents = [k for k in counts if k >= 0]
    bins: list[SizeBin] = []
    if -1 in counts:
        bins.append(SizeBin(0, 1, counts[-1], outside.get(-1, 0)))
    if exponents:
        for k in range(min(exponents), max(exponents) + 1):
            bins.append(SizeBin(base**k, base ** (k + 1), counts.get(k, 0), outside.get(k, 0)))
    return SizeHistogram(tuple(bins), threshold, tuple(beyond), percentile)


class _HasLog(Protocol):
    build_id: str
    log_bytes: int | None


def build_log_histogram(builds: Iterable[_HasLog]) -> SizeHistogram:
    """The histogram of the build-log sizes of ``builds`` (``JobStats.builds``), by build id;
    builds without a log are left out, as in ``build_log_bytes``."""
    return size_histogram((b.build_id, b.log_bytes) for b in builds if b.log_bytes is not None)
