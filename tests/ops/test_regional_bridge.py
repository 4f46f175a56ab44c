"""A regional Mosquitto bridged to the central one, both configured from the production templates
(firmware-config/mosquitto, the broker role's `broker_bridge_*` variables), mutual TLS on both
listeners and on the bridge (its own certificate, the central ACL's bridge user), a real collector
on the central broker, and the bridge link cut for real by a TCP proxy.

End to end: every event published at the regional broker before and during the cut is stored
once, acknowledged back to the device through the bridge, and a command sent during the cut
reaches the device after the link heals. The quick form cuts for CF_BRIDGE_CUT_S (default 25 s);
`CF_BRIDGE_CUT_S=300 pytest tests/ops/test_regional_bridge.py` runs a five-minute cut.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocols import Channel, topic
from tests.collector.devices import rating, state
from tests.faults.proxy import FaultProxy
from tests.fixtures.broker import BrokerFactory, MtlsBroker
from tests.fixtures.collector_process import ServingCollector

pytestmark = pytest.mark.slow

OFFICE = "cm-mueang-chiang-mai-dol"
DEVICES = [f"{OFFICE}-c0{i}" for i in (1, 2, 3)]
BRIDGE = "bridge-north"
PER_PHASE = 40  # events per device before the cut, and again during it
CUT_S = float(os.environ.get("CF_BRIDGE_CUT_S", "25"))


class PartitionProxy(FaultProxy):
    """The bridge's TCP path to the central broker; ``cut`` is a partition that refuses: every
    connection is shut down and the port stops listening until ``heal``.

    Not FaultProxy's accept-then-close: Debian 12's Mosquitto 2.0.11 (OpenSSL 3) whose TLS
    bridge meets an EOF inside the handshake spins at 100 % CPU and stops serving (it ignores
    SIGTERM); docs/SCALE.md ("Regional brokers") says what that means for a deployment.
    """

    def cut(self) -> None:
        self._open.clear()
        with contextlib.suppress(OSError):  # wakes the accept() thread: nothing is accepted
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:  # shutdown wakes the pipe threads blocked in recv()
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()

    def heal(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._open.set()
        threading.Thread(target=self._accept, name="partition-proxy", daemon=True).start()


class Device:
    """A counter's MQTT side at the regional broker: persistent session, its own certificate,
    QoS 1 events, and what arrives on its commands and (retained) acks topics."""

    def __init__(self, broker: MtlsBroker, device_id: str) -> None:
        self.id = device_id
        self.commands: list[dict[str, Any]] = []
        self.acked_seq = 0
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=device_id, protocol=mqtt.MQTTv5
        )
        self.client.tls_set(**broker.paho_tls_args(broker.issue_client(device_id)))
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: self._subscribed.set()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect(broker.host, broker.port, keepalive=30, clean_start=False,
                            properties=props)  # fmt: skip
        self.client.loop_start()
        self.client.subscribe(
            [(topic(device_id, Channel.COMMANDS), 1), (topic(device_id, Channel.ACKS), 1)]
        )
        assert self._subscribed.wait(10), f"{device_id}: no SUBACK"

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        if not message.payload:
            return
        body = json.loads(message.payload)
        with self._lock:
            if message.topic.endswith("/commands"):
                self.commands.append(body)
            else:
                self.acked_seq = max(self.acked_seq, int(body["acked_seq"]))

    def publish_events(self, seqs: range) -> None:
        infos = [
            self.client.publish(topic(self.id, Channel.EVENTS), rating(self.id, s, 1 + s % 5), 1)
            for s in seqs
        ]
        for info in infos:
            info.wait_for_publish(10)  # PUBACK from the regional broker
            assert info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def region(
    tmp_path: Path, mosquitto_factory: BrokerFactory
) -> Iterator[tuple[MtlsBroker, PartitionProxy, MtlsBroker, ServingCollector]]:
    central = mosquitto_factory(mtls=True, bridge_users=(BRIDGE,))
    assert isinstance(central, MtlsBroker)
    link = PartitionProxy(central.host, central.port)
    bridge_cert = central.issue_client(BRIDGE)
    bridge = {
        "name": BRIDGE,
        "address": f"127.0.0.1:{link.port}",
        "cafile": str(central.ca_path),
        "certfile": str(bridge_cert.cert_path),
        "keyfile": str(bridge_cert.key_path),
        "restart_timeout": "1 3",  # production: "5 60"; the test waits for the reconnect
    }
    regional = mosquitto_factory(mtls=True, mosquitto_bridges=[bridge])
    assert isinstance(regional, MtlsBroker)
    collector = ServingCollector(
        tmp_path / "collector",
        central.url,
        CF_MQTT_CA=str(central.ca_path),
        CF_MQTT_CERT=str(central.collector.cert_path),
        CF_MQTT_KEY=str(central.collector.key_path),
        CF_HEARTBEAT_TIMEOUT_S="3600",
    )
    try:
        office = {"office_id": OFFICE, "name_th": "ที่ว่าการอำเภอทดสอบ", "name_en": "Test"}
        collector.put(f"/api/v1/offices/{OFFICE}", office)
        for device in DEVICES:
            collector.put(f"/api/v1/devices/{device}", {"device_id": device, "office_id": OFFICE})
        yield central, link, regional, collector
    finally:
        collector.stop()
        link.close()


def _stored(db: Path) -> dict[str, list[int]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT device_id, seq FROM events WHERE type = 'rating' ORDER BY device_id, seq"
        ).fetchall()
    stored: dict[str, list[int]] = {}
    for device, seq in rows:
        stored.setdefault(device, []).append(seq)
    return stored


@pytest.mark.timeout(CUT_S + 240)
def test_a_bridge_cut_loses_nothing_and_commands_arrive_after_it_heals(
    region: tuple[MtlsBroker, PartitionProxy, MtlsBroker, ServingCollector],
) -> None:
    _central, link, regional, collector = region
    devices = [Device(regional, d) for d in DEVICES]
    try:
        for device in devices:  # the bridge carries a device's state to the collector
            device.client.publish(topic(device.id, Channel.STATE), state(device.id, "online"), 1,
                                  retain=True).wait_for_publish(10)  # fmt: skip

        def online(device_id: str) -> bool:
            return bool(collector.get(f"/api/v1/devices/{device_id}")["online"])

        for device in devices:
            collector.wait_until(f"{device.id} online through the bridge",
                                 lambda d=device.id: online(d))  # fmt: skip

        before = range(1, PER_PHASE + 1)
        for device in devices:
            device.publish_events(before)
        collector.wait_until("events before the cut acknowledged at the devices",
                             lambda: all(d.acked_seq == PER_PHASE for d in devices))  # fmt: skip

        link.cut()
        during = range(PER_PHASE + 1, 2 * PER_PHASE + 1)
        for device in devices:
            device.publish_events(during)  # the regional broker takes them (PUBACK) and queues
        command = collector.http.post(f"/api/v1/devices/{DEVICES[0]}/commands",
                                      json={"type": "ping"})  # fmt: skip
        assert command.status_code == 202, command.text
        command_id = command.json()["id"]
        time.sleep(CUT_S)
        # nothing crossed the cut link: not the new events, not the command
        assert all(seqs == list(before) for seqs in _stored(collector.db_path).values())
        assert devices[0].commands == []
        assert all(d.acked_seq == PER_PHASE for d in devices)

        link.heal()
        expected = list(range(1, 2 * PER_PHASE + 1))
        collector.wait_until("every event stored once after the heal",
                             lambda: _stored(collector.db_path) == dict.fromkeys(DEVICES, expected),
                             timeout_s=60)  # fmt: skip
        collector.wait_until("acks back at the devices through the bridge",
                             lambda: all(d.acked_seq == 2 * PER_PHASE for d in devices),
                             timeout_s=30)  # fmt: skip
        collector.wait_until("the command sent during the cut reached the device",
                             lambda: [c["id"] for c in devices[0].commands] == [command_id],
                             timeout_s=30)  # fmt: skip
        assert devices[0].commands[0]["type"] == "ping"
        for device in devices:
            view = collector.get(f"/api/v1/devices/{device.id}")
            total = 2 * PER_PHASE
            assert (view["last_seq"], view["acked_seq"], view["missing_seqs"]) == (total, total, 0)

        # and a command after the heal goes straight through
        again = collector.http.post(f"/api/v1/devices/{DEVICES[1]}/commands", json={"type": "ping"})
        assert again.status_code == 202, again.text
        again_id = again.json()["id"]
        second = devices[1]
        collector.wait_until("a command after the heal reached the device",
                             lambda: [c["id"] for c in second.commands] == [again_id])  # fmt: skip
    finally:
        for device in devices:
            device.close()
