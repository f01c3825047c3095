"""Defaults and names the command line needs before any heavy import (stdlib only)."""

from __future__ import annotations

#: builds per part file (``--chunk``)
DEFAULT_CHUNK = 50
#: the Dask scheduler address used when neither ``--workers`` nor ``--scheduler`` is given
SCHEDULER_ENV = "PROWTUI_DASK_SCHEDULER"

_WILDCARDS = frozenset("*?[")


def has_wildcard(path: str) -> bool:
    """True when a job path is a pattern (``*``, ``?`` or ``[`` in a component)."""
    return any(ch in _WILDCARDS for ch in path)
