"""Property tests: valid messages round-trip; arbitrary input only ever raises ProtocolError."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protocols as p
from protocols.base import WireModel
from tests.protocols.golden_vectors import vectors
from tests.protocols.strategies import by_channel

channels = st.sampled_from(list(p.Channel))
VALID_DOCS = [(v.topic, json.loads(v.payload)) for v in vectors("valid")]


@st.composite
def channel_and_message(draw: st.DrawFn) -> tuple[p.Channel, WireModel]:
    channel = draw(channels)
    return channel, draw(by_channel[channel])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(channel_and_message())
def test_valid_messages_round_trip_through_json(item: tuple[p.Channel, WireModel]) -> None:
    channel, message = item
    wire = p.encode(message)
    again = p.decode(p.topic(message.device, channel), wire)  # type: ignore[attr-defined]
    assert again == message
    assert p.encode(again) == wire


def _decode_error(topic: str, payload: bytes) -> p.ProtocolError | None:
    """Decode; return the ProtocolError if any. Any other exception propagates and fails."""
    try:
        p.decode(topic, payload)
    except p.ProtocolError as exc:
        return exc
    return None


@settings(max_examples=500)
@given(channels, st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_protocol_errors(channel: p.Channel, payload: bytes) -> None:
    error = _decode_error(p.topic("cm-dev-001", channel), payload)
    if error is not None:
        assert error.code
        assert "\n" not in error.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children)
    ),
    max_leaves=12,
)


def _mutate(doc: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(doc))
    cur = out
    for key in path[:-1]:
        if not isinstance(cur.get(key), dict):
            return out
        cur = cur[key]
    cur[path[-1]] = value
    return out


@settings(max_examples=500)
@given(
    st.sampled_from(VALID_DOCS),
    st.lists(
        st.sampled_from(["v", "id", "device", "ts", "type", "seq", "body", "state"]), min_size=1
    ),
    st.sampled_from(["session", "score", "scale", "visitor", "lat", "expires", "acked_seq", "x"]),
    json_values,
)
def test_mutated_valid_messages_raise_only_protocol_errors(
    vector: tuple[str, dict[str, Any]], keys: list[str], body_key: str, value: Any
) -> None:
    topic, doc = vector
    mutated = _mutate(doc, keys[:1], value)
    mutated = _mutate(mutated, ["body", body_key], value)
    error = _decode_error(topic, json.dumps(mutated).encode())
    assert error is None or error.code


def test_visitor_pseudonym_matches_the_protocol_formula() -> None:
    """A fixed vector: changing the derivation would split every visitor's history."""
    pepper = bytes(range(32))
    day = date(2026, 11, 25)
    key = hmac.new(pepper, b"cf1-day|2026-11-25", hashlib.sha256).digest()
    expected = base64.b32encode(hmac.new(key, b"cf1|1999900000013", hashlib.sha256).digest())
    assert p.day_key(pepper, day) == key
    pseudonym = p.visitor_pseudonym(key, "1999900000013")
    assert pseudonym == expected.decode()[:26].lower()
    assert len(pseudonym) == 26
    assert pseudonym != p.visitor_pseudonym(p.day_key(pepper, date(2026, 11, 26)), "1999900000013")
