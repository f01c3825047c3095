"""``describe`` (numpy only) equals ``pandas.Series.describe()`` exactly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prowtui.analysis.describe import DESCRIBE_KEYS, describe


def pandas_describe(values: list[float]) -> dict[str, float | None]:
    """pandas' numbers under the JSON rule: NaN and infinities become None."""
    summary = pd.Series(values, dtype="float64").describe()
    return {
        key: (float(summary[key]) if key in summary and math.isfinite(summary[key]) else None)
        for key in DESCRIBE_KEYS
    }


def assert_same(values: list[float]) -> None:
    ours = describe(values)
    theirs = pandas_describe(values)
    assert list(ours) == list(DESCRIBE_KEYS)
    assert isinstance(ours["count"], int) and ours["count"] == theirs["count"]
    for key in DESCRIBE_KEYS[1:]:
        assert ours[key] == theirs[key], (key, ours[key], theirs[key])


@pytest.mark.parametrize(
    "values",
    [
        [],
        [7],
        [0],
        [3, 3],
        [1, 2],
        [0, 0, 0, 0],
        [1, 2, 3, 4],
        [5, 1, 4, 2, 3],
        [0.1, 0.2, 0.3],
        [2**53, 2**53 + 2, 1],
        [40_000_000, 12, 0, 1_234_567],
        [-1.5, 2.25, 1e-300, 1e300],
    ],
)
def test_edge_inputs_equal_pandas(values: list[float]) -> None:
    assert_same(values)


def test_empty_and_single_value_shape() -> None:
    assert describe([]) == {"count": 0, **dict.fromkeys(DESCRIBE_KEYS[1:])}
    one = describe([42])
    assert one["count"] == 1 and one["std"] is None
    assert one["mean"] == one["min"] == one["25%"] == one["50%"] == one["max"] == 42.0


def test_random_inputs_equal_pandas() -> None:
    rng = np.random.default_rng(20240501)
    for size in (2, 3, 10, 99, 242, 1000, 5001):
        assert_same(rng.integers(0, 50_000_000, size).tolist())
        assert_same(rng.lognormal(10, 3, size).tolist())
        assert_same((rng.normal(0, 1e6, size)).tolist())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**40) | st.floats(-1e12, 1e12, allow_nan=False), max_size=50))
def test_any_finite_input_equals_pandas(values: list[float]) -> None:
    assert_same(values)


def test_generators_and_nan_are_accepted() -> None:
    assert describe(x for x in (1, 2, 3)) == describe([1, 2, 3])
    assert describe([1.0, float("nan"), 3.0]) == pandas_describe([1.0, float("nan"), 3.0])
