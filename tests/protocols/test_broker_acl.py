"""The production broker config and ACL over real mutual TLS (MQTT v5, paho 2.x).

Assertions are on what is delivered: Mosquitto grants a denied SUBSCRIBE and filters delivery, and
answers a denied PUBLISH with PUBACK 135. "Nothing arrived" is proven by a positive-control message
sent after the negative one on the same path: the probe reads everything up to that marker.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from protocols import Channel, subscription, topic
from protocols.topics import COLLECTOR_TO_DEVICE, DEVICE_TO_COLLECTOR
from tests.fixtures.broker import BrokerFactory, MtlsBroker
from tests.fixtures.tls import CertificateAuthority, ClientCert
from tests.protocols.mqtt_probe import NOT_AUTHORIZED, MqttProbe

DEV_A = "acl-dev-a"
DEV_B = "acl-dev-b"
ACCEPTED = 0
NO_MATCHING_SUBSCRIBERS = 16
GRANTED_QOS1 = 1


class Clients:
    """Connected probes for one test; all closed at teardown."""

    def __init__(self, broker: MtlsBroker) -> None:
        self.broker = broker
        self._probes: list[MqttProbe] = []

    def probe(
        self, cert: ClientCert, client_id: str | None = None, will: tuple[str, bytes] | None = None
    ) -> MqttProbe:
        probe = MqttProbe(
            self.broker.host,
            self.broker.port,
            client_id or cert.common_name,
            tls=self.broker.paho_tls_args(cert),
            will=will,
        )
        self._probes.append(probe)
        return probe

    def connect(
        self, cert: ClientCert, client_id: str | None = None, will: tuple[str, bytes] | None = None
    ) -> MqttProbe:
        return self.probe(cert, client_id, will).connect()

    def refused(self, cert: ClientCert | None) -> MqttProbe:
        """Attempt a connection that must fail at the TLS layer (no CONNACK at all)."""
        tls = {"ca_certs": str(self.broker.ca_path)}
        if cert is not None:
            tls |= {"certfile": str(cert.cert_path), "keyfile": str(cert.key_path)}
        probe = MqttProbe(self.broker.host, self.broker.port, "refused", tls=tls)
        self._probes.append(probe)
        try:
            # long enough that a loaded machine's handshake ends in the server's verdict, not in
            # our timeout (a refusal comes back at once; only a slow handshake waits)
            accepted = probe.try_connect(timeout=15)
        except OSError:  # ssl.SSLError when the server's alert arrives during the handshake
            accepted = False
        assert not accepted
        assert probe.connack is None
        return probe

    def close(self) -> None:
        for probe in self._probes:
            probe.close()


def _wait_for_log(broker: MtlsBroker, text: str, timeout_s: float = 10.0) -> str:
    """The broker's log once it holds ``text`` (Mosquitto may write it after the client saw the
    refusal); fails with the log's tail otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        log = broker.log_text()
        if text in log or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert text in log, log[-1500:]
    return log


@pytest.fixture
def clients(mtls_broker: MtlsBroker) -> Iterator[Clients]:
    made = Clients(mtls_broker)
    yield made
    made.close()


def only_marker(probe: MqttProbe, marker: bytes) -> list[bytes]:
    """Payloads received up to the marker; a correct ACL leaves exactly [marker] (maybe twice
    when overlapping subscriptions match it)."""
    return sorted({m.payload for m in probe.receive_until(marker)})


def test_device_publishes_own_channels_and_reads_own_commands_and_acks(
    mtls_broker: MtlsBroker, clients: Clients
) -> None:
    """Positive control: what the negative tests deny must work for the owner."""
    device = clients.connect(mtls_broker.issue_client(DEV_A))
    collector = clients.connect(mtls_broker.collector)
    for channel in DEVICE_TO_COLLECTOR:
        group = "collectors" if channel is Channel.EVENTS else None
        assert collector.subscribe(subscription(channel, shared_group=group)) == [GRANTED_QOS1]
    for channel in COLLECTOR_TO_DEVICE:
        assert device.subscribe(topic(DEV_A, channel)) == [GRANTED_QOS1]

    for channel in DEVICE_TO_COLLECTOR:
        assert device.publish(topic(DEV_A, channel), channel.value.encode()) == ACCEPTED
    received = collector.receive_until(Channel.COMMAND_RESULTS.value.encode())
    assert [(m.topic, m.payload) for m in received] == [
        (topic(DEV_A, channel), channel.value.encode()) for channel in DEVICE_TO_COLLECTOR
    ]

    assert collector.publish(topic(DEV_A, Channel.ACKS), b"ack-a", retain=True) == ACCEPTED
    assert collector.publish(topic(DEV_A, Channel.COMMANDS), b"cmd-a") == ACCEPTED
    received = device.receive_until(b"cmd-a")
    assert [(m.topic, m.payload) for m in received] == [
        (topic(DEV_A, Channel.ACKS), b"ack-a"),
        (topic(DEV_A, Channel.COMMANDS), b"cmd-a"),
    ]
    # A device reconnecting later gets its retained ack from the broker.
    device.close()
    late = clients.connect(mtls_broker.issue_client(DEV_A), client_id="ignored")
    late.subscribe(topic(DEV_A, Channel.ACKS))
    assert [(m.payload, m.retain) for m in late.receive_until(b"ack-a")] == [(b"ack-a", True)]


def test_device_cannot_publish_into_another_devices_topics(
    mtls_broker: MtlsBroker, clients: Clients
) -> None:
    intruder = clients.connect(mtls_broker.issue_client(DEV_A))
    victim = clients.connect(mtls_broker.issue_client(DEV_B))
    collector = clients.connect(mtls_broker.collector)
    for channel in DEVICE_TO_COLLECTOR:
        collector.subscribe(subscription(channel, device=DEV_B))
    for channel in COLLECTOR_TO_DEVICE:
        victim.subscribe(topic(DEV_B, channel))

    for channel in (*DEVICE_TO_COLLECTOR, *COLLECTOR_TO_DEVICE):
        reason = intruder.publish(topic(DEV_B, channel), b"forged", retain=True)
        assert reason == NOT_AUTHORIZED, channel
    # The collector may write only commands and acks (and clear state/location), never a
    # device's events, heartbeats or command results.
    for channel in (Channel.EVENTS, Channel.HEARTBEAT, Channel.COMMAND_RESULTS):
        assert collector.publish(topic(DEV_B, channel), b"forged") == NOT_AUTHORIZED, channel

    assert victim.publish(topic(DEV_B, Channel.EVENTS), b"control-b") == ACCEPTED
    assert only_marker(collector, b"control-b") == [b"control-b"]
    assert collector.publish(topic(DEV_B, Channel.COMMANDS), b"control-cmd") == ACCEPTED
    assert only_marker(victim, b"control-cmd") == [b"control-cmd"]


def test_device_cannot_read_another_devices_commands_acks_or_events(
    mtls_broker: MtlsBroker, clients: Clients
) -> None:
    collector = clients.connect(mtls_broker.collector)
    ack = collector.publish(topic(DEV_B, Channel.ACKS), b"retained-ack-b", retain=True)
    assert ack == NO_MATCHING_SUBSCRIBERS  # accepted and retained; nobody subscribed yet
    owner = clients.connect(mtls_broker.issue_client(DEV_B))
    snoop = clients.connect(mtls_broker.issue_client(DEV_A))
    for channel in COLLECTOR_TO_DEVICE:
        owner.subscribe(topic(DEV_B, channel))
    assert only_marker(owner, b"retained-ack-b") == [b"retained-ack-b"]

    # Denied filters are still granted (SUBACK 1); the ACL filters each delivery instead.
    for topic_filter in (
        topic(DEV_B, Channel.COMMANDS),
        topic(DEV_B, Channel.ACKS),
        subscription(Channel.ACKS),
        subscription(Channel.EVENTS),
        "cf/v1/devices/#",
        topic(DEV_A, Channel.COMMANDS),
    ):
        assert snoop.subscribe(topic_filter) == [GRANTED_QOS1]

    assert collector.publish(topic(DEV_B, Channel.COMMANDS), b"cmd-b") == ACCEPTED
    assert collector.publish(topic(DEV_B, Channel.ACKS), b"ack-b", retain=True) == ACCEPTED
    assert owner.publish(topic(DEV_B, Channel.EVENTS), b"event-b") == ACCEPTED
    assert [m.payload for m in owner.receive_until(b"ack-b")] == [b"cmd-b", b"ack-b"]

    assert collector.publish(topic(DEV_A, Channel.COMMANDS), b"control-a") == ACCEPTED
    assert only_marker(snoop, b"control-a") == [b"control-a"]


def test_claimed_client_id_does_not_escape_the_certificate_identity(
    mtls_broker: MtlsBroker, clients: Clients
) -> None:
    """use_username_as_clientid: a device asking for B's client id is still A, and B stays on."""
    genuine = clients.connect(mtls_broker.issue_client(DEV_B))
    genuine.subscribe(topic(DEV_B, Channel.COMMANDS))
    impostor = clients.connect(mtls_broker.issue_client(DEV_A), client_id=DEV_B)
    collector = clients.connect(mtls_broker.collector)
    collector.subscribe(subscription(Channel.EVENTS))

    assert impostor.subscribe(topic(DEV_B, Channel.COMMANDS)) == [GRANTED_QOS1]
    assert impostor.subscribe(topic(DEV_A, Channel.COMMANDS)) == [GRANTED_QOS1]
    assert impostor.publish(topic(DEV_B, Channel.EVENTS), b"forged") == NOT_AUTHORIZED
    assert impostor.publish(topic(DEV_A, Channel.EVENTS), b"as-a") == ACCEPTED
    assert [(m.topic, m.payload) for m in collector.receive_until(b"as-a")] == [
        (topic(DEV_A, Channel.EVENTS), b"as-a")
    ]

    assert collector.publish(topic(DEV_B, Channel.COMMANDS), b"cmd-b") == ACCEPTED
    assert collector.publish(topic(DEV_A, Channel.COMMANDS), b"cmd-a") == ACCEPTED
    assert only_marker(genuine, b"cmd-b") == [b"cmd-b"]
    assert only_marker(impostor, b"cmd-a") == [b"cmd-a"]
    # Had the broker honoured the claimed id, B's session would have been taken over.
    assert genuine.connected
    assert genuine.disconnects == []
    assert f"as {DEV_A} (p5" in mtls_broker.log_text()


def test_certificate_from_another_ca_is_refused_at_the_tls_handshake(
    mtls_broker: MtlsBroker, clients: Clients, tmp_path: Path
) -> None:
    foreign = CertificateAuthority(tmp_path / "foreign", name="Foreign CA").issue_client(DEV_A)
    clients.refused(foreign)
    clients.refused(None)  # require_certificate: no certificate, no session
    log = _wait_for_log(mtls_broker, "certificate verify failed")
    assert f"as {DEV_A}" not in log
    # The same identity from the right CA connects: the refusal was about the issuer.
    clients.connect(mtls_broker.issue_client(DEV_A))


def test_revoked_certificate_is_refused_after_the_crl_is_reloaded(
    mtls_broker: MtlsBroker, clients: Clients
) -> None:
    doomed = mtls_broker.issue_client(DEV_B)
    clients.connect(doomed).close()
    mtls_broker.revoke(doomed)  # rewrites the CRL and restarts the broker
    clients.refused(doomed)
    _wait_for_log(mtls_broker, "certificate verify failed")
    # Others are unaffected, including a new certificate for the same device (re-provisioning).
    clients.connect(mtls_broker.issue_client(DEV_A))
    clients.connect(mtls_broker.issue_client(DEV_B))


def test_last_will_only_on_the_devices_own_state_topic(
    mtls_broker: MtlsBroker, clients: Clients
) -> None:
    """The agent's Last Will (`offline` on its state) passes the ACL; a forged one does not."""
    collector = clients.connect(mtls_broker.collector)
    collector.subscribe(subscription(Channel.STATE))
    forger = clients.connect(
        mtls_broker.issue_client(DEV_A), will=(topic(DEV_B, Channel.STATE), b"forged-offline")
    )
    device = clients.connect(
        mtls_broker.issue_client(DEV_B), will=(topic(DEV_B, Channel.STATE), b"offline")
    )
    forger.disconnect_with_will()
    device.disconnect_with_will()
    received = collector.receive_until(b"offline")
    assert [(m.topic, m.payload) for m in received] == [(topic(DEV_B, Channel.STATE), b"offline")]


def test_monitor_user_reads_everything_and_writes_nothing(
    mosquitto_factory: BrokerFactory,
) -> None:
    broker = mosquitto_factory(mtls=True, monitor_users=("ops-monitor",))
    assert isinstance(broker, MtlsBroker)
    clients = Clients(broker)
    try:
        monitor = clients.connect(broker.ca.issue_client("ops-monitor"))
        device = clients.connect(broker.issue_client(DEV_A))
        collector = clients.connect(broker.collector)
        monitor.subscribe("cf/v1/devices/#")
        device.subscribe(topic(DEV_A, Channel.COMMANDS))
        assert monitor.publish(topic(DEV_A, Channel.COMMANDS), b"from-monitor") == NOT_AUTHORIZED
        assert device.publish(topic(DEV_A, Channel.EVENTS), b"event-a") == ACCEPTED
        assert collector.publish(topic(DEV_A, Channel.COMMANDS), b"cmd-a") == ACCEPTED
        assert [m.payload for m in monitor.receive_until(b"cmd-a")] == [b"event-a", b"cmd-a"]
        assert only_marker(device, b"cmd-a") == [b"cmd-a"]
    finally:
        clients.close()


def test_collector_clears_a_retired_devices_retained_documents(
    mosquitto_factory: BrokerFactory,
) -> None:
    """decommission-device.yml: empty retained payloads on state, location and acks (issue 13)."""
    broker = mosquitto_factory(mtls=True, monitor_users=("ops-monitor",))
    assert isinstance(broker, MtlsBroker)
    clients = Clients(broker)
    stored = (ACCEPTED, NO_MATCHING_SUBSCRIBERS)
    try:
        device = clients.connect(broker.issue_client(DEV_A))
        collector = clients.connect(broker.collector)
        assert device.publish(topic(DEV_A, Channel.STATE), b"old-state", retain=True) in stored
        assert device.publish(topic(DEV_A, Channel.LOCATION), b"old-loc", retain=True) in stored
        assert collector.publish(topic(DEV_A, Channel.ACKS), b"old-ack", retain=True) in stored
        for channel in (Channel.STATE, Channel.LOCATION, Channel.ACKS):
            assert collector.publish(topic(DEV_A, channel), b"", retain=True) in stored, channel
        monitor = clients.connect(broker.ca.issue_client("ops-monitor"))
        monitor.subscribe(f"cf/v1/devices/{DEV_A}/#")
        assert device.publish(topic(DEV_A, Channel.EVENTS), b"marker") == ACCEPTED
        assert only_marker(monitor, b"marker") == [b"marker"]  # nothing retained is replayed
    finally:
        clients.close()
