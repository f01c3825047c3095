"""Kubernetes events across the builds of a window, their messages templated like log lines.

Events with the same message template, reason and type are one row: in how many builds they
appear and the sum of their ``count`` (1 when an event has none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prowtui.prow.events import EventRow
from prowtui.triage.masking import clean, mask
from prowtui.triage.model import EventStat
from prowtui.triage.templates import Templater


@dataclass(slots=True)
class _Tally:
    builds: set[int] = field(default_factory=set)
    count: int = 0


class EventAggregator:
    """Feed each build's events (builds in order); :meth:`stats` sums them up."""

    def __init__(self, templater: Templater | None = None) -> None:
        self.templater = templater or Templater()
        self._tallies: dict[tuple[int, str, str], _Tally] = {}
        self._masked: dict[str, str] = {}

    def add_build(self, index: int, events: Iterable[EventRow]) -> None:
        """The events of build ``index`` (from every events file the export reads)."""
        for event in events:
            message = event.message or ""
            masked = self._masked.get(message)
            if masked is None:
                masked = mask(clean(message)) or "(no message)"
                if len(self._masked) < 100_000:
                    self._masked[message] = masked
            cluster_id = self.templater.add(masked)
            key = (cluster_id, event.reason or "", event.type or "")
            tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = _Tally()
            tally.builds.add(index)
            count = event.count if isinstance(event.count, int) and event.count > 0 else 1
            tally.count += count

    def stats(self) -> list[EventStat]:
        """Rows by builds (most first), then count, then template, reason and type."""
        merged: dict[tuple[str, str, str], _Tally] = {}
        for (cluster_id, reason, type_), tally in self._tallies.items():
            key = (self.templater.template(cluster_id), reason, type_)
            into = merged.get(key)
            if into is None:
                merged[key] = _Tally(set(tally.builds), tally.count)
            else:
                into.builds |= tally.builds
                into.count += tally.count
        rows = [
            EventStat(
                template=template,
                reason=reason,
                type=type_,
                builds=len(tally.builds),
                count=tally.count,
                warning=type_.lower() == "warning",
            )
            for (template, reason, type_), tally in merged.items()
        ]
        rows.sort(key=lambda r: (-r.builds, -r.count, r.template, r.reason, r.type))
        return rows
