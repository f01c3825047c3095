"""``pandas.Series.describe()`` summaries as JSON-safe dicts, computed with numpy alone.

pandas costs ~0.3 s to import and ``prowtui stats`` needs nothing else from it, so the eight
numbers are computed here the way pandas computes them (``nanops``): the mean as the float64
sum over the count, the standard deviation with ``ddof=1`` from squared deviations around that
mean, and the quartiles by ``numpy.percentile``'s linear interpolation. ``tests/
test_analysis_describe.py`` checks equality with pandas on random and edge inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

DESCRIBE_KEYS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")


def _json_float(value: float) -> float | None:
    """A finite float, or ``None`` for NaN/inf (JSON has no NaN)."""
    value = float(value)
    return value if math.isfinite(value) else None


def describe(values: Iterable[float | int]) -> dict[str, float | int | None]:
    """The eight keys of ``Series.describe()`` over ``values``; ``count`` is an int.

    An empty input gives ``count`` 0 and ``None`` elsewhere; one value gives ``std`` ``None``,
    exactly where pandas gives NaN. NaN values are skipped, as pandas does.
    """
    data = np.fromiter((float(v) for v in values), dtype=np.float64)
    data = data[~np.isnan(data)]
    count = int(data.size)
    out: dict[str, float | int | None] = dict.fromkeys(DESCRIBE_KEYS)
    out["count"] = count
    if count == 0:
        return out
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: inf, reported as None
        mean = data.sum(dtype=np.float64) / count
        if count > 1:
            squares = (mean - data) ** 2
            out["std"] = _json_float(np.sqrt(squares.sum(dtype=np.float64) / (count - 1)))
        q25, q50, q75 = np.percentile(data, [25.0, 50.0, 75.0])
    out["mean"] = _json_float(mean)
    out["min"] = _json_float(data.min())
    out["25%"], out["50%"], out["75%"] = _json_float(q25), _json_float(q50), _json_float(q75)
    out["max"] = _json_float(data.max())
    return out
