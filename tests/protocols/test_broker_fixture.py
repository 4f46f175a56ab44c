"""The broker fixtures behave as other tests rely on: persistence, stop/start, kill/start."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from protocols import Channel, topic
from tests.fixtures.broker import (
    TEMPLATE_DIR,
    BrokerFactory,
    MosquittoBroker,
    render_template,
    template_variable_names,
)
from tests.protocols.mqtt_probe import MqttProbe

DEVICE = "fixture-dev-01"
HOUR = 3600


def test_plain_broker_is_anonymous_plain_mqtt_with_persistence(mosquitto: MosquittoBroker) -> None:
    assert mosquitto.running
    assert mosquitto.url == f"mqtt://127.0.0.1:{mosquitto.port}"
    conf = mosquitto.conf_path.read_text()
    assert f"listener {mosquitto.port} 127.0.0.1\n" in conf
    assert "allow_anonymous true\n" in conf
    assert "persistence true\n" in conf
    assert "max_queued_messages 100000\n" in conf
    assert "require_certificate" not in conf
    assert "acl_file" not in conf
    assert "running" in mosquitto.log_text()


def test_queued_qos1_message_survives_stop_and_start(mosquitto: MosquittoBroker) -> None:
    """A persistent session's queue is in the snapshot that SIGTERM writes."""
    events = topic(DEVICE, Channel.EVENTS)
    subscriber = MqttProbe(
        mosquitto.host, mosquitto.port, "persistent-sub", clean_start=False, session_expiry=HOUR
    )
    subscriber.connect()
    assert subscriber.subscribe(events) == [1]
    subscriber.close()

    with MqttProbe(mosquitto.host, mosquitto.port, "publisher").connect() as publisher:
        assert publisher.publish(events, b"queued-while-offline") == 0
    port = mosquitto.port

    mosquitto.stop()
    assert not mosquitto.running
    mosquitto.start()
    assert mosquitto.port == port

    resumed = MqttProbe(
        mosquitto.host, mosquitto.port, "persistent-sub", clean_start=False, session_expiry=HOUR
    )
    with resumed.connect():
        received = resumed.receive_until(b"queued-while-offline")
    assert [m.topic for m in received] == [events]


def test_kill_then_start_serves_again(mosquitto: MosquittoBroker) -> None:
    port = mosquitto.port
    mosquitto.kill()
    assert not mosquitto.running
    mosquitto.start()
    assert mosquitto.running
    assert mosquitto.port == port
    events = topic(DEVICE, Channel.EVENTS)
    with MqttProbe(mosquitto.host, mosquitto.port, "after-kill").connect() as probe:
        probe.subscribe(events)
        assert probe.publish(events, b"alive") == 0
        assert [m.payload for m in probe.receive_until(b"alive")] == [b"alive"]


def test_restart_keeps_port_and_factory_brokers_are_independent(
    mosquitto: MosquittoBroker, mosquitto_factory: BrokerFactory
) -> None:
    other = mosquitto_factory(listener_options={"max_connections": "5"})
    assert isinstance(other, MosquittoBroker)
    assert other.port != mosquitto.port
    assert "max_connections 5\n" in other.conf_path.read_text()
    port = mosquitto.port
    mosquitto.restart()
    assert mosquitto.running
    assert mosquitto.port == port
    assert other.running


def test_production_defaults_are_mutual_tls_with_acl() -> None:
    """Rendered with no variables (the Ansible role's starting point) the config is locked down."""
    conf = render_template("mosquitto.conf.j2", {})
    for line in (
        "listener 8883\n",
        "require_certificate true\n",
        "use_identity_as_username true\n",
        "use_username_as_clientid true\n",
        "allow_anonymous false\n",
        "acl_file /etc/mosquitto/acl\n",
        "user mosquitto\n",
        "max_queued_messages 100000\n",
        "max_queued_bytes 268435456\n",
        "max_packet_size 20480\n",
    ):
        assert line in conf, f"missing {line!r}"
    assert "Rendered from firmware-config/mosquitto; do not edit" in conf.splitlines()[0]
    acl = render_template("acl.j2", {})
    assert "pattern write cf/v1/devices/%u/events\n" in acl
    assert "pattern readwrite" not in acl
    assert "user collector\n" in acl


@pytest.mark.parametrize("template", ["mosquitto.conf.j2", "acl.j2"])
def test_every_template_variable_is_documented(template: str) -> None:
    """The Ansible role reads the variable list from the template header and the README."""
    source = (TEMPLATE_DIR / template).read_text()
    header = source[: source.index("#}")]
    readme = (TEMPLATE_DIR / "README.md").read_text()
    for name in template_variable_names(template):
        assert name in header, f"{template}: {name} not documented in its header comment"
        assert f"`{name}`" in readme, f"README.md: {name} ({template}) not listed"


def test_misspelt_template_variable_is_refused(mosquitto_factory: BrokerFactory) -> None:
    with pytest.raises(TypeError, match="mosquitto_autosave_intervl"):
        mosquitto_factory(mosquitto_autosave_intervl=1)


def test_a_packet_over_max_packet_size_disconnects_its_sender(mosquitto: MosquittoBroker) -> None:
    """A flood of huge payloads never reaches the collector's inbox (issue 13 item 3)."""
    assert "max_packet_size 20480\n" in mosquitto.conf_path.read_text()
    connected, gone = threading.Event(), threading.Event()
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id="huge-sender",
        protocol=mqtt.MQTTv5,
    )
    client.on_connect = lambda *_args: connected.set()
    client.on_disconnect = lambda *_args: gone.set()
    client.connect(mosquitto.host, mosquitto.port)
    client.loop_start()
    try:
        assert connected.wait(10)
        listener = MqttProbe(mosquitto.host, mosquitto.port, "huge-listener").connect()
        try:
            listener.subscribe(topic(DEVICE, Channel.EVENTS))
            client.publish(topic(DEVICE, Channel.EVENTS), b"x" * 30_000, qos=1)
            assert gone.wait(10), "the broker kept a sender of a 30 kB packet"
            control = MqttProbe(mosquitto.host, mosquitto.port, "huge-control").connect()
            try:
                control.publish(topic(DEVICE, Channel.EVENTS), b"small")
            finally:
                control.close()
            assert [m.payload for m in listener.receive_until(b"small")] == [b"small"]
        finally:
            listener.close()
    finally:
        client.loop_stop()
