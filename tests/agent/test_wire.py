"""The agent's pydantic-free messages (agent/wire.py, agent/incoming.py) against the protocol's
pydantic models and JSON Schema: every message the models accept, rebuilt with the agent's
plain types, is the same JSON, decodes to the same model and validates against the schema of
``python -m protocols schema``; acks and commands are read with the models' verdicts."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protocols as p
from agent import wire
from agent.incoming import parse_ack, parse_command
from protocols.base import WireModel
from protocols.schema import json_schemas
from tests.protocols import strategies

SCHEMAS = json_schemas()
PLAIN_BODIES: dict[type[WireModel], Any] = {
    p.SessionStartedBody: wire.SessionStartedBody,
    p.SessionEndedBody: wire.SessionEndedBody,
    p.RatingBody: wire.RatingBody,
    p.CopyRequestedBody: wire.CopyRequestedBody,
    p.CopyMadeBody: wire.CopyMadeBody,
    p.OutboxDroppedBody: wire.OutboxDroppedBody,
    p.FaultBody: wire.FaultBody,
    p.HeartbeatBody: wire.HeartbeatBody,
    p.LocationBody: wire.LocationBody,
    p.CommandResultBody: wire.CommandResultBody,
}
SENT = st.one_of(strategies.events, strategies.heartbeats, strategies.locations, strategies.results)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _plain(model: Any) -> wire.Envelope:
    body = PLAIN_BODIES[type(model.body)](**dict(model.body))
    seq = getattr(model, "seq", None)
    return wire.Envelope(id=model.id, device=model.device, ts=model.ts, body=body, seq=seq)


def _check_against_the_models(model: Any, payload: bytes, channel: p.Channel) -> None:
    assert json.loads(payload) == json.loads(p.encode(model))
    assert p.decode(p.topic(model.device, channel), payload) == model
    schema = SCHEMAS[f"cf/v1/devices/{{device_id}}/{channel.value}"]
    jsonschema.validate(json.loads(payload), schema)


@FAST
@given(SENT)
def test_every_message_the_agent_sends_is_the_models_json(model: Any) -> None:
    channel = {
        "heartbeat": p.Channel.HEARTBEAT,
        "location": p.Channel.LOCATION,
        "command.result": p.Channel.COMMAND_RESULTS,
    }.get(model.type, p.Channel.EVENTS)
    _check_against_the_models(model, wire.encode(_plain(model)), channel)


@FAST
@given(strategies.states)
def test_the_state_document_and_last_will(model: p.State) -> None:
    doc = wire.StateDoc(device=model.device, state=model.state, sw_version=model.sw_version)
    payload = wire.encode(doc)
    assert json.loads(payload) == json.loads(p.encode(model))
    assert p.decode(p.topic(model.device, p.Channel.STATE), payload) == model


def test_the_agent_refuses_what_the_models_refuse() -> None:
    with pytest.raises(p.ProtocolError):
        wire.RatingBody(session=None, score=6, scale=5, verified=False)
    with pytest.raises(p.ProtocolError):
        wire.FaultBody(component="reader", code="Bad Code")
    with pytest.raises(p.ProtocolError):
        wire.OutboxDroppedBody(from_seq=5, to_seq=4, reason="x")
    body = wire.LocationBody(lat=1.0, lon=2.0, source="gps", accuracy_m=float("inf"))
    with pytest.raises(p.ProtocolError):
        wire.encode(wire.Envelope(id=p.new_message_id(), device="dev-001", ts=p.now(), body=body))


@FAST
@given(strategies.acks)
def test_acks_are_read_as_the_model_reads_them(model: p.Ack) -> None:
    assert parse_ack(model.device, p.encode(model)) == model.acked_seq


@FAST
@given(strategies.commands)
def test_commands_are_read_as_the_models_read_them(model: Any) -> None:
    command = parse_command(model.device, p.encode(model))
    assert (command.id, command.type, command.expires) == (model.id, model.type, model.body.expires)
    expected = {k: v for k, v in dict(model.body).items() if k != "expires"}
    assert command.args == {**({"seconds": 10} if model.type == "identify" else {}), **expected}


def _command(**changes: Any) -> dict[str, Any]:
    body = {"expires": "2026-12-03T09:00:00+07:00", "lat": 18.8, "lon": 98.9}
    base = {"v": 1, "id": str(p.new_message_id()), "device": "dev-001",
            "ts": "2026-12-02T09:00:00+07:00", "type": "set_location", "body": body}  # fmt: skip
    for key, value in changes.items():
        if key.startswith("body_"):
            body[key[5:]] = value
        else:
            base[key] = value
    return base


@pytest.mark.parametrize(
    "changes",
    [
        {"v": 2}, {"v": True}, {"device": "dev-002"}, {"id": "not-a-uuid"},
        {"ts": "2026-12-02T09:00:00"}, {"type": "format_disk"}, {"body": []},
        {"body_expires": "tomorrow"}, {"body_lat": 91}, {"body_lat": True},
        {"body_lat": "18.8"}, {"body_accuracy_m": -1},
        {"type": "identify", "body_seconds": 0}, {"type": "identify", "body_seconds": 1.5},
        {"type": "day_key.set", "body_scheme": "cf1"},
    ],
    ids=str,
)  # fmt: skip
def test_bad_commands_are_refused_by_both(changes: dict[str, Any]) -> None:
    payload = json.dumps(_command(**changes)).encode()
    with pytest.raises(p.ProtocolError):
        p.decode(p.topic("dev-001", p.Channel.COMMANDS), payload)
    with pytest.raises(p.ProtocolError):
        parse_command("dev-001", payload)


def test_a_sound_command_is_accepted_by_both() -> None:
    payload = json.dumps(_command()).encode()
    model = p.decode(p.topic("dev-001", p.Channel.COMMANDS), payload)
    command = parse_command("dev-001", payload)
    assert isinstance(model, p.SetLocation)
    assert command.args == {"lat": 18.8, "lon": 98.9, "accuracy_m": None}
