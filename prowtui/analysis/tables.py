"""The names of the tables ``prowtui export`` writes (light: the CLI parser imports it)."""

from __future__ import annotations

from collections.abc import Iterable

from prowtui.errors import UsageError

TABLES = ("builds", "build_logs", "events", "junit")


def check_tables(tables: Iterable[str]) -> tuple[str, ...]:
    """Validate table names (UsageError on an unknown one); keep the documented order."""
    wanted = set(tables)
    unknown = wanted - set(TABLES)
    if unknown:
        raise UsageError(
            f"unknown table(s): {', '.join(sorted(unknown))}; choose from {', '.join(TABLES)}"
        )
    if not wanted:
        raise UsageError("no table to export")
    return tuple(name for name in TABLES if name in wanted)
