"""The one paho-mqtt adapter of the collector (MQTT 3.1.1 or v5, manual acknowledgement).

A single collector keeps a persistent session (fixed client id, clean start off, a session
expiry), so the broker queues messages while it is down and redelivers what it never acknowledged.
As one of N workers it joins the shared subscription ``$share/<group>/...`` with clean start: a
persistent member that is offline would keep receiving its share into a queue nobody drains.

The ingest subscription speaks MQTT 3.1.1 by default (``CF_MQTT_INGEST_PROTOCOL``): paho parses
a v5 PUBLISH (its properties) at half the rate. What v5 gave, the broker then sets: flow control
by ``max_inflight_messages`` (the v5 Receive Maximum), session expiry by
``persistent_client_expiration``. Reads are buffered (:mod:`collector.ingest.buffered_client`).

The paho thread only appends each message to an :class:`Inbox`; the batcher takes them in bursts.
``ack`` sends the PUBACK of a message after its commit, and skips messages of an earlier
connection (the broker redelivers those, and a stale packet id could acknowledge another message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from collector.config import Settings
from collector.ingest.buffered_client import BufferedClient, Publish
from collector.ingest.inbox import Inbox
from collector.records import RawMessage
from protocols import Channel, subscription, topic
from protocols.topics import DEVICE_TO_COLLECTOR, QOS, RETAINED

RETAINED_TOPICS = tuple(c for c in Channel if RETAINED[c])
"""state, location, acks: what the broker keeps of a device after it is gone."""

_LOGGER = logging.getLogger(__name__)


class Subscriber:
    """Connects, subscribes to all device-to-collector channels, feeds the inbox, acks."""

    def __init__(self, settings: Settings, inbox: Inbox, *, client_id: str | None = None) -> None:
        self._settings = settings
        self._inbox = inbox
        self.shared_group = settings.mqtt_shared_group or (
            "collectors" if settings.ingest_workers > 1 else None
        )
        self.client_id = client_id or settings.mqtt_client_id
        self.generation = 0
        self.connected = False
        self.subscribed = False
        self._lock = threading.Lock()
        self.v5 = settings.mqtt_ingest_protocol == "5"
        self.persistent = self.shared_group is None or settings.ingest_workers > 1
        self._client = BufferedClient(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311,
            manual_ack=True,
            clean_session=None if self.v5 else not self.persistent,
        )
        self._client.max_queued_messages_set(0)
        self._client.max_inflight_messages_set(100)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        if settings.mqtt_username:
            self._client.username_pw_set(settings.mqtt_username, settings.mqtt_password)
        if settings.mqtt_tls:
            self._client.tls_set(
                ca_certs=str(settings.mqtt_ca) if settings.mqtt_ca else None,
                certfile=str(settings.mqtt_cert) if settings.mqtt_cert else None,
                keyfile=str(settings.mqtt_key) if settings.mqtt_key else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_publishes = self._on_publishes
        self._pending_sub: int | None = None

    @property
    def filters(self) -> list[str]:
        return [
            subscription(channel, shared_group=self.shared_group) for channel in DEVICE_TO_COLLECTOR
        ]

    @property
    def ready(self) -> bool:
        return self.connected and self.subscribed

    def start(self) -> None:
        """Connect in the background; paho reconnects by itself after a loss."""
        if not self.v5:
            self._client.connect_async(
                self._settings.mqtt_host,
                self._settings.mqtt_port,
                keepalive=self._settings.mqtt_keepalive_s,
            )
            self._client.loop_start()
            return
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.ReceiveMaximum = self._settings.mqtt_receive_maximum
        if self.persistent:
            props.SessionExpiryInterval = self._settings.mqtt_session_expiry_s
        self._client.connect_async(
            self._settings.mqtt_host,
            self._settings.mqtt_port,
            keepalive=self._settings.mqtt_keepalive_s,
            clean_start=not self.persistent,
            properties=props,
        )
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly (the session stays on the broker) and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()
        self.connected = self.subscribed = False

    # paho callbacks (network thread) ---------------------------------------------------------
    def _on_connect(
        self, client: mqtt.Client, _ud: Any, flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            _LOGGER.error("broker refused the connection: %s", reason)
            return
        with self._lock:
            self.generation += 1
        self.connected = True
        sock = client.socket()
        if isinstance(sock, socket.socket):  # PUBACKs and acks leave at once (no Nagle delay)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _LOGGER.info(
            "connected to %s:%s as %s (session present: %s)",
            self._settings.mqtt_host,
            self._settings.mqtt_port,
            self.client_id,
            flags.session_present,
        )
        if self.v5:
            result, mid = client.subscribe([(f, SubscribeOptions(qos=1)) for f in self.filters])
        else:
            result, mid = client.subscribe([(f, 1) for f in self.filters])
        self._pending_sub = mid
        if result != mqtt.MQTT_ERR_SUCCESS:
            _LOGGER.error("subscribe failed to send: %s", mqtt.error_string(result))

    def _on_subscribe(
        self, _c: mqtt.Client, _ud: Any, mid: int, codes: Sequence[ReasonCode], _props: Any
    ) -> None:
        refused = [str(c) for c in codes if c.is_failure]
        if refused:
            _LOGGER.error("broker refused subscriptions: %s", ", ".join(refused))
            self.subscribed = False
            return
        self.subscribed = True
        _LOGGER.info("subscribed to %s", ", ".join(self.filters))

    def _on_disconnect(
        self, _c: mqtt.Client, _ud: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        self.connected = self.subscribed = False
        _LOGGER.warning("disconnected from the broker: %s", reason)

    def _on_message(self, _c: mqtt.Client, _ud: Any, msg: mqtt.MQTTMessage) -> None:
        self._inbox.put(
            RawMessage(
                msg.topic,
                bytes(msg.payload),
                msg.mid,
                msg.qos,
                int(time.time() * 1000),
                self.generation,
                bool(msg.retain),
            )
        )

    def _on_publishes(self, publishes: list[Publish]) -> None:
        """The buffered client's fast path: many PUBLISH packets of one read, one inbox call."""
        received_ms = int(time.time() * 1000)
        generation = self.generation
        self._inbox.put_many(
            [
                RawMessage(topic_name, payload, mid, qos, received_ms, generation, retain)
                for topic_name, payload, mid, qos, retain in publishes
            ]
        )

    # called from the event loop ----------------------------------------------------------
    def ack(self, messages: Sequence[RawMessage]) -> int:
        """PUBACK committed messages of the current connection; return how many were skipped."""
        generation = self.generation
        skipped = 0
        mids = []
        for m in messages:
            if m.qos == 0:
                continue
            if m.generation != generation:
                skipped += 1
                continue
            mids.append(m.mid)
        self._client.ack_many(mids)
        return skipped

    def publish(self, topic_name: str, payload: bytes, channel: Channel) -> None:
        """Publish with the channel's QoS and retain flag (acks, commands)."""
        info = self._client.publish(topic_name, payload, qos=QOS[channel], retain=RETAINED[channel])
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            _LOGGER.warning("publish to %s failed: %s", topic_name, mqtt.error_string(info.rc))

    def clear_retained(self, device: str, timeout_s: float = 10.0) -> list[str]:
        """Publish empty retained payloads on the device's retained topics (state, location, acks)
        and wait for the broker's PUBACKs; return the channels cleared (blocking: use a thread)."""
        infos = []
        for channel in RETAINED_TOPICS:
            info = self._client.publish(topic(device, channel), b"", qos=1, retain=True)
            infos.append((channel, info))
        cleared = []
        for channel, info in infos:
            info.wait_for_publish(timeout=timeout_s)
            if info.is_published():
                cleared.append(channel.value)
        return cleared


async def wait_ready(subscriber: Subscriber, within_s: float) -> bool:
    """Wait until connected with subscriptions granted (for start-up and tests)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if subscriber.ready:
            return True
        await asyncio.sleep(0.05)
    return subscriber.ready
