"""The collector's fast event decoder (``collector/ingest/fast_decode.py``) against
``protocols.decode``: same model for every payload decode accepts, same code and reason (and the
same envelope identity for an ``EventRejected``) for every payload it refuses; on the golden
vectors, on every leaf of the valid event vectors replaced by odd JSON values, on envelope
tricks (non-integer ``v``, duplicate keys, NaN in an ignored field, escapes) and on generated
events. It must also really be the fast path for ordinary events (not a silent fallback)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings

from collector.ingest.fast_decode import decode_message, fast_path_applies
from protocols import EventRejected, ProtocolError, Topic, decode, encode
from tests.protocols.golden_vectors import Vector, vectors
from tests.protocols.strategies import events

GOLDEN = vectors("valid") + vectors("invalid")
EVENT_VECTORS = [
    v for v in vectors("valid") if v.topic.endswith("/events") and v.expect_type is not None
]
ODD_VALUES = [
    "true",
    "false",
    "null",
    "0",
    "1",
    "-1",
    "1.0",
    "5.0",
    "1e0",
    "-0.0",
    "0.5",
    "1e999",
    "-1e999",
    "NaN",
    "9223372036854775807",
    "9223372036854775808",
    '"1"',
    '""',
    '"x"',
    '"\\u0031"',
    '"\\ud800"',
    "[]",
    "{}",
    "[1]",
    '{"v": 1}',
    "86400.0001",
]
_MARK = "__mutated__"


def outcome(fn: Any, topic: str, payload: bytes) -> tuple[Any, ...]:
    try:
        message = fn(Topic.parse(topic), payload)
    except EventRejected as exc:
        return ("rejected", exc.code, exc.reason, exc.device, exc.message_id, exc.seq)
    except ProtocolError as exc:
        return ("refused", exc.code, exc.reason)
    return ("ok", type(message), message, message.model_dump_json())


def assert_same(topic: str, payload: bytes) -> None:
    assert outcome(decode_message, topic, payload) == outcome(decode, topic, payload), payload


def _leaves(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _leaves(v, (*path, k))] or [path]
    return [path]


def _replaced(doc: dict[str, Any], path: tuple[Any, ...], value: str) -> bytes:
    copy = json.loads(json.dumps(doc))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = _MARK
    return json.dumps(copy).replace(f'"{_MARK}"', value).encode()


@pytest.mark.parametrize("vector", GOLDEN, ids=lambda v: v.name)
def test_golden_vectors_decode_alike(vector: Vector) -> None:
    try:
        Topic.parse(vector.topic)
    except ProtocolError:  # the vectors about topics: the decoders never see those
        return
    assert_same(vector.topic, vector.payload)


@pytest.mark.parametrize("vector", EVENT_VECTORS, ids=lambda v: v.name)
def test_ordinary_events_take_the_fast_path(vector: Vector) -> None:
    assert fast_path_applies(vector.payload)
    assert outcome(decode_message, vector.topic, vector.payload)[0] == "ok"


@pytest.mark.parametrize("vector", EVENT_VECTORS, ids=lambda v: v.name)
def test_every_leaf_replaced_by_odd_values_decodes_alike(vector: Vector) -> None:
    doc = json.loads(vector.payload)
    for path in _leaves(doc):
        for value in ODD_VALUES:
            assert_same(vector.topic, _replaced(doc, path, value))


ENVELOPE_TRICKS = [
    ('"v": 1', '"v": 1.0'),
    ('"v": 1', '"v": true'),
    ('"v": 1', '"v": 1e0'),
    ('"v": 1', '"v" : 1 '),
    ('"v": 1', '"\\u0076": 1'),
    ('"v": 1', '"v": 1, "v": true'),
    ('"v": 1', '"v": true, "v": 1'),
    ('"v": 1', '"v": 2, "body2": {"v": 1}'),
    ('"seq": ', '"seq": 1, "seq": '),
    ('"body": {', '"x": NaN, "body": {'),
    ('"body": {', '"x": -Infinity, "body": {'),
    ('"body": {', '"x": "\\ud800", "body": {'),
    ('"body": {', '"x": "NaN", "body": {'),
    ('"body": {', '"x": "\u0e01", "body": {'),
    ('"body": {', '"x": 1e999, "body": {'),
    ('"body": {', '"body": {"a": 1}, "body": {'),
    ('"device": "', '"device": "x'),
]


@pytest.mark.parametrize("trick", ENVELOPE_TRICKS, ids=lambda t: t[1])
def test_envelope_tricks_decode_alike(trick: tuple[str, str]) -> None:
    for vector in EVENT_VECTORS:
        text = json.dumps(json.loads(vector.payload), ensure_ascii=False)
        assert trick[0] in text
        assert_same(vector.topic, text.replace(trick[0], trick[1], 1).encode())


def test_a_device_other_than_the_topics_is_refused_as_mismatch() -> None:
    vector = EVENT_VECTORS[0]
    other = vector.topic.replace("/devices/", "/devices/zz")
    assert outcome(decode_message, other, vector.payload)[:2] == ("refused", "device_mismatch")


@settings(max_examples=300, deadline=None)
@given(events)
def test_generated_events_decode_alike(event: Any) -> None:
    payload = encode(event)
    assert_same(f"cf/v1/devices/{event.device}/events", payload)
