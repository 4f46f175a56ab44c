"""A tiny stand-in for the collector (the real one is built elsewhere): subscribes to a
device's events, deduplicates by id, "commits" them in memory and publishes the retained
``acks`` for the highest contiguous seq, exactly as PROTOCOL.md says a collector must."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocols import Ack, Channel, OutboxDropped, decode, encode, topic


class CollectorDouble:
    def __init__(
        self,
        host: str,
        port: int,
        device: str,
        *,
        ack: bool = True,
        client_id: str = "collector-double",
        persistent: bool = True,
        tls: dict[str, str] | None = None,
        validate: bool = True,
    ) -> None:
        self.device = device
        self.ack_enabled = ack
        self.validate = validate
        self.lock = threading.Lock()
        self.by_id: dict[str, int] = {}
        self.seq_to_id: dict[int, str] = {}
        self.first_arrival: list[int] = []  # seqs in the order they first arrived
        self.received = 0
        self.duplicates = 0
        self.acked = 0
        self.other: dict[str, list[bytes]] = {}
        self.keep_raw = True
        self.raw: list[bytes] = []
        self.connected = threading.Event()
        self._persistent = persistent
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        if tls:
            self.client.tls_set(**tls)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = lambda *_a: self.connected.clear()
        self.client.reconnect_delay_set(0.1, 0.5)
        self._host, self._port = host, port
        self._stopping = threading.Event()
        self._resend = False
        self._acker = threading.Thread(target=self._ack_loop, daemon=True)

    def start(self) -> CollectorDouble:
        props = Properties(PacketTypes.CONNECT)
        if self._persistent:
            props.SessionExpiryInterval = 3600
        self.client.connect_async(
            self._host, self._port, clean_start=not self._persistent, properties=props
        )
        self.client.loop_start()
        assert self.connected.wait(10), "collector double: no SUBACK (could not connect)"
        self._acker.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, *_a: Any) -> None:
        # Subscribe on every connect: a broker killed before saving forgot the session.
        client.subscribe(
            [
                (topic(self.device, Channel.EVENTS), 1),
                (topic(self.device, Channel.STATE), 1),
                (topic(self.device, Channel.HEARTBEAT), 0),
                (topic(self.device, Channel.LOCATION), 1),
                (topic(self.device, Channel.COMMAND_RESULTS), 1),
            ]
        )

    def _on_subscribe(self, *_a: Any) -> None:
        # Ready only once the broker granted the subscriptions: what the agent publishes before
        # then would not reach this double.
        self._resend = True
        self.connected.set()

    def _on_message(self, client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        channel = message.topic.rsplit("/", 1)[-1]
        if channel != "events":
            with self.lock:
                self.other.setdefault(channel, []).append(bytes(message.payload))
            return
        payload = bytes(message.payload)
        if self.validate:
            event = decode(message.topic, payload)
            message_id, seq = str(event.id), int(event.seq)  # type: ignore[union-attr]
            dropped = event.body if isinstance(event, OutboxDropped) else None
        else:  # benchmarks: keep the harness from being the bottleneck
            obj = json.loads(payload)
            message_id, seq = obj["id"], obj["seq"]
            dropped = None
            if obj["type"] == "outbox.dropped":
                dropped = OutboxDropped.model_validate(obj).body
        with self.lock:
            self.received += 1
            if self.keep_raw:
                self.raw.append(payload)
            if message_id in self.by_id:
                self.duplicates += 1
                assert self.by_id[message_id] == seq, "same id with another seq"
                return
            assert seq not in self.seq_to_id, f"seq {seq} arrived with two different ids"
            self.by_id[message_id] = seq
            self.seq_to_id[seq] = message_id
            self.first_arrival.append(seq)
            if dropped is not None:
                for gap in range(dropped.from_seq, dropped.to_seq + 1):
                    self.seq_to_id.setdefault(gap, "dropped")
            acked = self.acked
            while acked + 1 in self.seq_to_id:
                acked += 1
            self.acked = acked

    def _ack_loop(self) -> None:
        """Publish the latest acked_seq at most every 50 ms, like a batching collector."""
        sent = -1
        while not self._stopping.wait(0.05):
            with self.lock:
                acked = self.acked
            if self._resend:
                self._resend, sent = False, -1
            if self.ack_enabled and acked != sent and self.connected.is_set():
                self.publish_ack(acked)
                sent = acked

    def publish_ack(self, acked: int) -> None:
        ack = Ack(v=1, device=self.device, acked_seq=acked)
        self.client.publish(topic(self.device, Channel.ACKS), encode(ack), qos=1, retain=True)

    def wait_for_seq(self, seq: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.acked >= seq:
                    return True
            time.sleep(0.05)
        return False

    def raw_events(self) -> list[bytes]:
        with self.lock:
            return list(self.raw)

    def messages(self, channel: str) -> list[bytes]:
        with self.lock:
            return list(self.other.get(channel, []))
