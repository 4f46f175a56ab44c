"""Commands, heartbeat, state and location over a real Mosquitto; TLS with client certs."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from agent.config import AgentConfig
from protocols import (
    Channel,
    CommandResult,
    Heartbeat,
    Identify,
    IdentifyBody,
    Location,
    Ping,
    PingBody,
    ReloadConfig,
    ReloadConfigBody,
    SetLocation,
    SetLocationBody,
    State,
    decode,
    encode,
    new_message_id,
    now,
    topic,
)
from tests.agent.agent_rig import DEVICE, InProcessAgent, config_data, wait_until, write_toml
from tests.agent.collector_double import CollectorDouble
from tests.fixtures.broker import MosquittoBroker, MtlsBroker


def send(broker: MosquittoBroker, payload: bytes) -> None:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5
    )
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.publish(topic(DEVICE, Channel.COMMANDS), payload, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def wait_agent_subscribed(collector: CollectorDouble) -> None:
    """The agent sends SUBSCRIBE (commands, acks) and then PUBLISH of its "online" state on one
    connection, and the broker handles a client's packets in order: once that state reached the
    double, the agent's command subscription exists and a command sent now is delivered."""
    wait_until(
        lambda: any(b'"online"' in m for m in collector.messages("state")),
        10,
        "the agent's online state did not arrive",
    )


def results(collector: CollectorDouble) -> dict[UUID, CommandResult]:
    decoded = [
        decode(topic(DEVICE, Channel.COMMAND_RESULTS), m)
        for m in collector.messages("command-results")
    ]
    return {r.body.command: r for r in decoded if isinstance(r, CommandResult)}


def envelope(**kwargs: object) -> dict[str, object]:
    return {"v": 1, "id": new_message_id(), "device": DEVICE, "ts": now(), **kwargs}


@pytest.mark.slow
def test_commands_each_get_a_result(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    data = config_data(tmp_path, mosquitto.url)
    config_path = write_toml(tmp_path / "agent.toml", data)
    config = AgentConfig(**data)
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    soon, past = now() + timedelta(minutes=5), now() - timedelta(seconds=1)
    ping = Ping(**envelope(body=PingBody(expires=soon)))  # type: ignore[arg-type]
    stale = Ping(**envelope(body=PingBody(expires=past)))  # type: ignore[arg-type]
    where = SetLocation(
        **envelope(body=SetLocationBody(expires=soon, lat=13.75, lon=100.5, accuracy_m=8))  # type: ignore[arg-type]
    )
    blink = Identify(**envelope(body=IdentifyBody(expires=soon, seconds=2)))  # type: ignore[arg-type]
    reload = ReloadConfig(**envelope(body=ReloadConfigBody(expires=soon)))  # type: ignore[arg-type]
    try:
        with InProcessAgent(config, config_path=config_path) as rig:
            rig.wait_connected()
            wait_agent_subscribed(collector)
            led = rig.pins.pin(config.panel.leds[0])
            led.clear_states()
            data["session"]["rating_window_s"] = 30
            write_toml(config_path, data)
            for command in (ping, stale, where, blink, reload):
                send(mosquitto, encode(command))
            send(mosquitto, b'{"v": 1, "type": "ping"}')  # not a command: logged, no result
            wait_until(lambda: len(results(collector)) == 5, 10, "missing command results")
            got = results(collector)
            assert (got[ping.id].body.ok, got[ping.id].body.detail) == (True, "pong")
            assert (got[stale.id].body.ok, got[stale.id].body.detail) == (False, "expired")
            assert got[where.id].body.ok
            assert got[blink.id].body.ok
            wait_until(lambda: len(led.states) >= 4, 3, "identify did not blink the LEDs")
            assert (got[reload.id].body.ok, got[reload.id].body.detail) == (True, "reloaded")
            assert rig.agent.session.settings.rating_window_s == 30
            # reload with a broken file: refused with the one-line reason
            config_path.write_text("[device\n")
            bad = ReloadConfig(**envelope(body=ReloadConfigBody(expires=soon)))  # type: ignore[arg-type]
            send(mosquitto, encode(bad))
            wait_until(lambda: bad.id in results(collector), 10, "no result for bad reload")
            assert not results(collector)[bad.id].body.ok
            assert "not valid TOML" in results(collector)[bad.id].body.detail
    finally:
        collector.stop()
    locations = [decode(topic(DEVICE, Channel.LOCATION), m) for m in collector.messages("location")]
    provisioned = [x for x in locations if isinstance(x, Location)]
    assert (provisioned[-1].body.lat, provisioned[-1].body.source) == (13.75, "provisioned")
    remembered = json.loads((tmp_path / "state" / "location.json").read_text())
    assert remembered["lat"] == 13.75


@pytest.mark.slow
def test_heartbeat_and_state(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    config = AgentConfig(
        **config_data(
            tmp_path,
            mosquitto.url,
            heartbeat={"interval_s": 1},
            location={"lat": 18.79, "lon": 98.98, "accuracy_m": 20},
        )
    )
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    try:
        with InProcessAgent(config) as rig:
            rig.wait_connected()
            rig.press(3)
            rig.card.insert()
            rig.card.remove()
            rig.press(4)
            rig.press(2)  # a second rating of the same session: misuse
            wait_until(lambda: len(collector.messages("heartbeat")) >= 2, 10, "no heartbeats")
            states = [decode(topic(DEVICE, Channel.STATE), m) for m in collector.messages("state")]
            assert isinstance(states[0], State)
            assert states[0].state == "online"
    finally:
        collector.stop()
    beat = decode(topic(DEVICE, Channel.HEARTBEAT), collector.messages("heartbeat")[-1])
    assert isinstance(beat, Heartbeat)
    body = beat.body
    assert body.last_seq == 4
    assert body.reader == "present"
    assert body.panel == "ok"
    assert body.gps == "absent"
    assert body.sw_version == config.device.sw_version
    assert body.mem_used_pct is not None
    assert body.disk_free_mb is not None
    assert body.load1 is not None
    assert body.misuse_presses == 1
    location = decode(topic(DEVICE, Channel.LOCATION), collector.messages("location")[0])
    assert isinstance(location, Location)
    assert (location.body.source, location.body.lat) == ("provisioned", 18.79)


@pytest.mark.slow
def test_mutual_tls_with_client_certificate(tmp_path: Path, mtls_broker: MtlsBroker) -> None:
    cert = mtls_broker.issue_client(DEVICE)
    config = AgentConfig(
        **config_data(
            tmp_path,
            mtls_broker.url,
            mqtt={
                "ca_file": str(mtls_broker.ca_path),
                "cert_file": str(cert.cert_path),
                "key_file": str(cert.key_path),
            },
        )
    )
    collector = CollectorDouble(
        mtls_broker.host,
        mtls_broker.port,
        DEVICE,
        client_id="collector",
        tls=mtls_broker.paho_tls_args(mtls_broker.collector),
    ).start()
    try:
        with InProcessAgent(config) as rig:
            rig.wait_connected()
            rig.serve_one_citizen(5)
            assert collector.wait_for_seq(3, 10)
            wait_until(lambda: rig.agent.outbox.depth == 0, 10, "acks did not arrive over TLS")
    finally:
        collector.stop()
