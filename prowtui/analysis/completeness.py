"""How uniform a job's builds are: entry counts, distinct combinations, presence shares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence


def entry_count_distribution(listings: Sequence[Iterable[str]]) -> dict[str, int]:
    """``{"<number of entries>": <builds>}``, ordered by the number of entries."""
    counts = Counter(len(set(names)) for names in listings)
    return {str(n): counts[n] for n in sorted(counts)}


def patterns(listings: Sequence[Iterable[str]]) -> list[dict[str, object]]:
    """Distinct entry combinations with their build count and share, most common first."""
    total = len(listings)
    combos = Counter(tuple(sorted(set(names))) for names in listings)
    ordered = sorted(combos.items(), key=lambda item: (-item[1], item[0]))
    return [
        {"entries": list(entries), "builds": n, "share": n / total if total else 0.0}
        for entries, n in ordered
    ]


def completeness(listings: Sequence[Iterable[str]]) -> dict[str, object]:
    """The ``top_level``/``artifacts`` block of ``prowtui stats --json``."""
    materialised = [list(names) for names in listings]
    return {
        "entry_count_distribution": entry_count_distribution(materialised),
        "patterns": patterns(materialised),
    }


def presence_shares(present: Sequence[Iterable[str]], paths: Iterable[str]) -> dict[str, float]:
    """``{path: share of builds whose set of present paths contains it}``."""
    sets = [set(p) for p in present]
    total = len(sets)
    return {path: (sum(1 for s in sets if path in s) / total if total else 0.0) for path in paths}
