"""Kubernetes events (``events.json``, ``podinfo.json`` events) as flat rows.

Accepts a v1 ``EventList`` (or the ``List`` that ``oc get events -o json`` writes), a bare JSON
array of events, or a single event object; both core/v1 fields (``involvedObject``, ``source``,
``count``, ``firstTimestamp``/``lastTimestamp``) and events.k8s.io/v1 fields (``regarding``,
``reportingController``, ``note``, ``eventTime``, ``series``, ``deprecated*``). Missing or
mistyped fields become None; array items that are not objects are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prowtui.errors import ParseError
from prowtui.prow.decode import (
    as_dict,
    as_int,
    first_str,
    json_type,
    load_json,
    parse_timestamp,
)
from prowtui.prow.limits import MAX_JSON_BYTES


@dataclass
class EventRow:
    """One Kubernetes event, flattened."""

    uid: str | None
    namespace: str | None
    name: str | None
    reason: str | None
    type: str | None
    message: str | None
    count: int | None
    first_timestamp: datetime | None
    last_timestamp: datetime | None
    source_component: str | None
    involved_kind: str | None
    involved_name: str | None


def parse_events(data: bytes | str, file: str = "events.json") -> list[EventRow]:
    """Parse an events document into rows (raises only ParseError / TooLarge)."""
    doc = load_json(data, file, MAX_JSON_BYTES)
    if isinstance(doc, list):
        return event_rows(doc)
    if isinstance(doc, dict):
        if "items" in doc:
            items = doc["items"]
            if items is None:
                return []
            if not isinstance(items, list):
                raise ParseError(f"'items' is {json_type(items)}, expected an array", file)
            return event_rows(items)
        if _looks_like_event(doc):
            return event_rows([doc])
        raise ParseError("expected an EventList (an object with 'items') or an array", file)
    raise ParseError(f"expected an EventList or an array, got {json_type(doc)}", file)


def event_rows(items: list[Any]) -> list[EventRow]:
    """Rows of the event objects in ``items`` (non-objects skipped)."""
    return [event_row(item) for item in items if isinstance(item, dict)]


def event_row(event: dict[str, Any]) -> EventRow:
    """One event object (core/v1 or events.k8s.io/v1) as a row."""
    meta = as_dict(event.get("metadata"))
    involved = as_dict(event.get("involvedObject")) or as_dict(event.get("regarding"))
    source = as_dict(event.get("source")) or as_dict(event.get("deprecatedSource"))
    series = as_dict(event.get("series"))
    event_time = parse_timestamp(event.get("eventTime"))
    first = (
        _first_time(event.get("firstTimestamp"), event.get("deprecatedFirstTimestamp"))
        or event_time
    )
    last = (
        _first_time(
            event.get("lastTimestamp"),
            event.get("deprecatedLastTimestamp"),
            series.get("lastObservedTime"),
        )
        or event_time
        or first
        or parse_timestamp(meta.get("creationTimestamp"))
    )
    count = as_int(event.get("count"))
    if count is None:
        count = as_int(series.get("count"))
    if count is None:
        count = as_int(event.get("deprecatedCount"))
    return EventRow(
        uid=first_str(meta.get("uid")),
        namespace=first_str(meta.get("namespace"), involved.get("namespace")),
        name=first_str(meta.get("name")),
        reason=first_str(event.get("reason")),
        type=first_str(event.get("type")),
        message=first_str(event.get("message"), event.get("note")),
        count=count,
        first_timestamp=first,
        last_timestamp=last,
        source_component=first_str(
            source.get("component"),
            event.get("reportingController"),
            event.get("reportingComponent"),
        ),
        involved_kind=first_str(involved.get("kind")),
        involved_name=first_str(involved.get("name")),
    )


def _first_time(*values: object) -> datetime | None:
    for value in values:
        stamp = parse_timestamp(value)
        if stamp is not None:
            return stamp
    return None


def _looks_like_event(doc: dict[str, Any]) -> bool:
    return doc.get("kind") == "Event" or "involvedObject" in doc or "regarding" in doc
