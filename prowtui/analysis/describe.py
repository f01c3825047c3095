"""``pandas.Series.describe()`` summaries as JSON-safe dicts, with the standard library alone.

pandas costs ~0.3 s to import and numpy ~0.1 s, and ``prowtui stats`` needs nothing else from
either, so the eight numbers are computed here exactly the way pandas computes them
(``nanops``, on numpy): the mean as the float64 sum over the count, the standard deviation
with ``ddof=1`` from squared deviations around that mean, and the quartiles by
``numpy.percentile``'s linear interpolation. Every sum is numpy's: :func:`float_sum` repeats
its pairwise summation (blocks of 128 values summed in eight interleaved accumulators), so the
results are equal to the last bit, not merely close (``math.fsum`` is exact, numpy is not).
``tests/test_analysis_describe.py`` checks equality with pandas on random and edge inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

DESCRIBE_KEYS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")

#: numpy sums runs of at most this many values with eight accumulators, longer runs by halves
_PAIRWISE_BLOCK = 128


def _pairwise(values: Sequence[float], start: int, n: int) -> float:
    """numpy's ``pairwise_sum`` of ``values[start:start + n]`` (``loops_utils.h.src``)."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += values[i]
        return total
    if n <= _PAIRWISE_BLOCK:
        r0, r1, r2, r3, r4, r5, r6, r7 = values[start : start + 8]
        stop = start + n - n % 8
        for i in range(start + 8, stop, 8):
            r0 += values[i]
            r1 += values[i + 1]
            r2 += values[i + 2]
            r3 += values[i + 3]
            r4 += values[i + 4]
            r5 += values[i + 5]
            r6 += values[i + 6]
            r7 += values[i + 7]
        total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for i in range(stop, start + n):
            total += values[i]
        return total
    half = n // 2
    half -= half % 8
    return _pairwise(values, start, half) + _pairwise(values, start + half, n - half)


def float_sum(values: Sequence[float]) -> float:
    """``numpy.add.reduce`` of a float64 array: the identity 0.0 plus the pairwise sum."""
    return 0.0 + _pairwise(values, 0, len(values))


def percentile(ordered: Sequence[float], q: float) -> float:
    """``numpy.percentile(values, q)`` (method ``linear``) of ``ordered``, sorted ascending
    and not empty: the same virtual index, neighbours and two-sided interpolation."""
    n = len(ordered)
    index = (n - 1) * (q / 100)
    if index >= n - 1:
        below = above = n - 1
    elif index < 0:
        below = above = 0
    else:
        below = math.floor(index)
        above = below + 1
    gamma = index - math.floor(index)
    a, b = ordered[below], ordered[above]
    diff = b - a
    # numpy's _lerp: from the nearer end, so that gamma 1 gives b exactly
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def _json_float(value: float) -> float | None:
    """A finite float, or ``None`` for NaN/inf (JSON has no NaN)."""
    value = float(value)
    return value if math.isfinite(value) else None


def describe(values: Iterable[float | int]) -> dict[str, float | int | None]:
    """The eight keys of ``Series.describe()`` over ``values``; ``count`` is an int.

    An empty input gives ``count`` 0 and ``None`` elsewhere; one value gives ``std`` ``None``,
    exactly where pandas gives NaN. NaN values are skipped, as pandas does.
    """
    data = [x for x in map(float, values) if not math.isnan(x)]
    count = len(data)
    out: dict[str, float | int | None] = dict.fromkeys(DESCRIBE_KEYS)
    out["count"] = count
    if count == 0:
        return out
    mean = float_sum(data) / count  # huge values: inf (or nan), reported as None
    if count > 1:
        squares = [(mean - x) * (mean - x) for x in data]
        out["std"] = _json_float(math.sqrt(float_sum(squares) / (count - 1)))
    ordered = sorted(data)
    out["mean"] = _json_float(mean)
    out["min"] = _json_float(ordered[0])
    out["25%"] = _json_float(percentile(ordered, 25.0))
    out["50%"] = _json_float(percentile(ordered, 50.0))
    out["75%"] = _json_float(percentile(ordered, 75.0))
    out["max"] = _json_float(ordered[-1])
    return out
