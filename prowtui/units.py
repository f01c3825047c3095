"""Human-readable quantities shared by the CLI and the explorer."""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_size(size: float | None) -> str:
    """Bytes in powers of 1024: ``512 B``, ``16.9 KiB``, ``28.7 MiB``; empty for None."""
    if size is None:
        return ""
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover
