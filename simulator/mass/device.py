"""One mass-mode device: its MQTT session and an in-memory outbox of unacknowledged events.

What the real agent does on the wire, without its code path (no SQLite outbox, no panel, no
thread): client id = device id, MQTT v5 persistent session, Last Will ``offline`` (retained),
``online`` (retained) after each CONNACK, subscriptions to its ``acks`` and ``commands``,
ratings at QoS 1 in seq order, a heartbeat every ``heartbeat_s``, and after every (re)connect
the events from ``acked_seq + 1`` sent again. Like the agent, a fresh paho client per connection
attempt (paho's own resend queue stays empty: what to resend is decided here). Reconnects wait
a random delay: full jitter up to ``jitter_s`` first, then exponential backoff with jitter.
Commands are received and counted, not executed (mass mode has no hardware to act on).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from protocols import Channel, topic
from protocols.topics import QOS, RETAINED
from simulator.mass import wire
from simulator.mass.aio_paho import AsyncioPaho

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Broker:
    host: str
    port: int
    keepalive_s: int = 60
    session_expiry_s: int = 172_800  # the agent's default: two days
    jitter_s: float = 10.0
    backoff_max_s: float = 30.0
    republish_after_s: float = 60.0


class MassDevice:
    """Call :meth:`start` once inside the loop; :meth:`rate` and :meth:`heartbeat` from the
    fleet's schedule; :meth:`stop` publishes ``offline`` and disconnects."""

    def __init__(
        self,
        device_id: str,
        broker: Broker,
        driver: AsyncioPaho,
        rng: random.Random,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.device_id = device_id
        self._broker = broker
        self._driver = driver
        self._rng = rng
        self._on_change = on_change or (lambda: None)
        self._client: mqtt.Client | None = None
        self._started = time.monotonic()
        self._retry: asyncio.TimerHandle | None = None
        self._attempt = 0
        self._stopping = False
        self.connected = False
        self.sessions = 0
        self.last_seq = 0
        self.acked_seq = 0
        self.connected_seq = 0
        """``last_seq`` at the latest CONNACK: the backlog to drain after a reconnect."""
        self.pending: dict[int, tuple[bytes, float]] = {}
        self.commands = 0
        self.refused = 0

    # -- schedule ------------------------------------------------------------------------------
    def rate(self) -> None:
        """One rating: kept until acked, sent now when connected."""
        self.last_seq += 1
        payload = wire.rating(self.device_id, self.last_seq, self._rng)
        self.pending[self.last_seq] = (payload, time.monotonic())
        if self.connected:
            self._publish(Channel.EVENTS, payload)

    def heartbeat(self) -> None:
        if not self.connected:
            return
        now = time.monotonic()
        self._republish_stale(now)
        oldest = min((t for _p, t in self.pending.values()), default=None)
        self._publish(
            Channel.HEARTBEAT,
            wire.heartbeat(
                self.device_id,
                uptime_s=now - self._started,
                last_seq=self.last_seq,
                depth=len(self.pending),
                oldest_s=None if oldest is None else now - oldest,
            ),
        )

    @property
    def drained(self) -> bool:
        """Connected, and every event written before the latest CONNACK acknowledged."""
        return self.connected and self.acked_seq >= self.connected_seq

    # -- connection ----------------------------------------------------------------------------
    def start(self) -> None:
        self._connect()

    def _new_client(self) -> mqtt.Client:
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.device_id,
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        client.username_pw_set(self.device_id)  # the test ACL's identity: username = device id
        client.max_inflight_messages_set(0)
        client.max_queued_messages_set(0)
        client.will_set(
            topic(self.device_id, Channel.STATE), wire.state(self.device_id, "offline"), 1, True
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._driver.attach(client)
        return client

    def _connect(self) -> None:
        self._retry = None
        if self._stopping:
            return
        client = self._new_client()
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._broker.session_expiry_s
        try:
            client.connect(
                self._broker.host,
                self._broker.port,
                keepalive=self._broker.keepalive_s,
                clean_start=False,
                properties=properties,
            )
        except OSError as exc:
            self._driver.detach(client)
            _LOGGER.debug("%s: connect failed: %s", self.device_id, exc)
            self._schedule_reconnect()
            return
        self._client = client

    def _schedule_reconnect(self) -> None:
        if self._stopping or self._retry is not None:
            return
        if self._attempt == 0:
            delay = self._rng.uniform(0, self._broker.jitter_s)
        else:
            cap = min(self._broker.backoff_max_s, 2.0 ** min(self._attempt, 10))
            delay = self._rng.uniform(cap / 2, cap)
        self._attempt += 1
        self._retry = asyncio.get_running_loop().call_later(delay, self._connect)

    def _on_connect(
        self, client: mqtt.Client, _u: Any, _flags: Any, rc: ReasonCode, _p: Any
    ) -> None:
        if rc.is_failure:
            self.refused += 1
            _LOGGER.warning("%s: broker refused the connection: %s", self.device_id, rc)
            client.disconnect()
            return
        client.subscribe(
            [
                (topic(self.device_id, Channel.ACKS), QOS[Channel.ACKS]),
                (topic(self.device_id, Channel.COMMANDS), QOS[Channel.COMMANDS]),
            ]
        )
        self.connected = True
        self.sessions += 1
        self._attempt = 0
        self.connected_seq = self.last_seq
        self._publish(Channel.STATE, wire.state(self.device_id, "online"))
        now = time.monotonic()
        for seq in sorted(self.pending):
            payload, _sent = self.pending[seq]
            self.pending[seq] = (payload, now)
            self._publish(Channel.EVENTS, payload)
        self.heartbeat()
        self._on_change()

    def _on_disconnect(
        self, client: mqtt.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any
    ) -> None:
        self._driver.detach(client)
        if client is self._client:
            self._client = None
        was = self.connected
        self.connected = False
        if was:
            self._on_change()
        self._schedule_reconnect()

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        channel = message.topic.rsplit("/", 1)[-1]
        if channel == Channel.ACKS:
            acked = wire.acked_seq(self.device_id, bytes(message.payload))
            if acked is not None and acked > self.acked_seq:
                self.acked_seq = min(acked, self.last_seq)
                for seq in [s for s in self.pending if s <= self.acked_seq]:
                    del self.pending[seq]
                self._on_change()
        elif channel == Channel.COMMANDS:
            self.commands += 1

    def _publish(self, channel: Channel, payload: bytes) -> None:
        client = self._client
        if client is None:
            return
        info = client.publish(
            topic(self.device_id, channel), payload, qos=QOS[channel], retain=RETAINED[channel]
        )
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            _LOGGER.debug("%s: publish on %s failed: %s", self.device_id, channel, info.rc)

    def _republish_stale(self, now: float) -> None:
        """Events sent but not acked within ``republish_after_s`` go again (same bytes)."""
        limit = now - self._broker.republish_after_s
        for seq in sorted(self.pending):
            payload, sent = self.pending[seq]
            if sent < limit:
                self.pending[seq] = (payload, now)
                self._publish(Channel.EVENTS, payload)

    def stop(self) -> None:
        """Retained ``offline`` then DISCONNECT (the caller lets the loop flush them)."""
        self._stopping = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        client = self._client
        if client is not None and self.connected:
            self._publish(Channel.STATE, wire.state(self.device_id, "offline"))
            client.disconnect()
