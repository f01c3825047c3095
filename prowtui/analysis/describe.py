"""``pandas.Series.describe()`` summaries as JSON-safe dicts."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

DESCRIBE_KEYS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")


def _json_float(value: float) -> float | None:
    """A finite float, or ``None`` for NaN/inf (JSON has no NaN)."""
    value = float(value)
    return value if math.isfinite(value) else None


def describe(values: Iterable[float | int]) -> dict[str, float | int | None]:
    """The eight keys of ``Series.describe()`` over ``values``; ``count`` is an int.

    An empty input gives ``count`` 0 and ``None`` elsewhere; one value gives ``std`` ``None``,
    exactly where pandas gives NaN.
    """
    series = pd.Series(list(values), dtype="float64")
    summary = series.describe()
    out: dict[str, float | int | None] = {}
    for key in DESCRIBE_KEYS:
        if key == "count":
            out[key] = int(summary["count"])
        else:
            out[key] = _json_float(summary[key]) if key in summary else None
    return out
