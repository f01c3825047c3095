"""events.json parsing: v1 EventList, bare arrays, events.k8s.io fields, missing fields."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from prowtui.errors import ParseError
from prowtui.prow.events import EventRow, parse_events

UTC = timezone.utc

V1_EVENT = {
    "kind": "Event",
    "apiVersion": "v1",
    "metadata": {
        "name": "ci-op-x.17a",
        "namespace": "ci-op-x",
        "uid": "uid-1",
        "creationTimestamp": "2021-04-17T10:00:00Z",
    },
    "involvedObject": {"kind": "Pod", "namespace": "ci-op-x", "name": "e2e-gcp"},
    "reason": "BackOff",
    "message": "Back-off restarting failed container",
    "source": {"component": "kubelet", "host": "node-1"},
    "firstTimestamp": "2021-04-17T10:00:00Z",
    "lastTimestamp": "2021-04-17T10:05:00Z",
    "count": 7,
    "type": "Warning",
}


def test_v1_event_list() -> None:
    doc = {"kind": "EventList", "apiVersion": "v1", "items": [V1_EVENT]}
    assert parse_events(json.dumps(doc)) == [
        EventRow(
            uid="uid-1",
            namespace="ci-op-x",
            name="ci-op-x.17a",
            reason="BackOff",
            type="Warning",
            message="Back-off restarting failed container",
            count=7,
            first_timestamp=datetime(2021, 4, 17, 10, 0, tzinfo=UTC),
            last_timestamp=datetime(2021, 4, 17, 10, 5, tzinfo=UTC),
            source_component="kubelet",
            involved_kind="Pod",
            involved_name="e2e-gcp",
        )
    ]


def test_bare_array_and_oc_list_and_single_event() -> None:
    assert len(parse_events(json.dumps([V1_EVENT, V1_EVENT]))) == 2
    oc_list = {"apiVersion": "v1", "kind": "List", "items": [V1_EVENT], "metadata": {}}
    assert parse_events(json.dumps(oc_list))[0].reason == "BackOff"
    assert parse_events(json.dumps(V1_EVENT))[0].uid == "uid-1"


def test_events_k8s_io_fields() -> None:
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "e1", "namespace": "ns", "uid": "u"},
        "eventTime": "2024-05-01T12:00:00.123456Z",
        "series": {"count": 4, "lastObservedTime": "2024-05-01T12:30:00.000000Z"},
        "reportingController": "default-scheduler",
        "regarding": {"kind": "Pod", "name": "p", "namespace": "ns"},
        "note": "0/3 nodes are available",
        "reason": "FailedScheduling",
        "type": "Warning",
        "deprecatedFirstTimestamp": "2024-05-01T11:59:00Z",
    }
    row = parse_events(json.dumps({"items": [event]}))[0]
    assert row.count == 4
    assert row.message == "0/3 nodes are available"
    assert row.source_component == "default-scheduler"
    assert (row.involved_kind, row.involved_name) == ("Pod", "p")
    assert row.first_timestamp == datetime(2024, 5, 1, 11, 59, tzinfo=UTC)
    assert row.last_timestamp == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    del event["series"]
    event["deprecatedLastTimestamp"] = "2024-05-01T12:10:00Z"
    assert parse_events(json.dumps([event]))[0].last_timestamp == datetime(
        2024, 5, 1, 12, 10, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"eventTime": "2024-01-01T00:00:01Z"}, datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC)),
        ({"firstTimestamp": "2024-01-01T00:00:02Z"}, datetime(2024, 1, 1, 0, 0, 2, tzinfo=UTC)),
        (
            {"metadata": {"creationTimestamp": "2024-01-01T00:00:03Z"}},
            datetime(2024, 1, 1, 0, 0, 3, tzinfo=UTC),
        ),
        ({"lastTimestamp": None, "eventTime": None}, None),
    ],
)
def test_last_timestamp_fallbacks(fields: dict, expected: datetime | None) -> None:
    assert parse_events(json.dumps([fields]))[0].last_timestamp == expected


def test_missing_and_mistyped_fields_are_none() -> None:
    rows = parse_events(
        b'{"items": [{}, {"count": "x", "metadata": [], "source": 3, "reason": 5}, 1, null]}'
    )
    assert len(rows) == 2
    assert rows[0] == EventRow(*([None] * 12))
    assert rows[1].count is None and rows[1].reason == "5" and rows[1].uid is None


def test_null_items_is_empty() -> None:
    assert parse_events(b'{"kind": "EventList", "items": null}') == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"items": {"a": 1}}', "events.json: 'items' is object, expected an array"),
        (b'{"kind": "PodList"}', "events.json: expected an EventList"),
        (b'"text"', "events.json: expected an EventList or an array, got string"),
        (b'{"items": [', "events.json: invalid JSON at line 1 column 12"),
    ],
)
def test_errors(data: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_events(data)
    assert str(info.value).startswith(message)
