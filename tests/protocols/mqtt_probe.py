"""A small synchronous MQTT v5 test client over paho-mqtt 2.x (broker and ACL tests).

Tests must assert on what a broker actually delivers, so the probe collects every message in
arrival order and offers "read until this marker": publish a positive-control message after the
negative one and wait for it, which proves "nothing else arrived" without long sleeps.
"""

from __future__ import annotations

import queue
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

TIMEOUT = 5.0
NOT_AUTHORIZED = 135


class ProbeError(AssertionError):
    """The broker did not answer as the test expected (named with the client id)."""


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool


class MqttProbe:
    """One MQTT v5 connection; `tls` holds keyword arguments for paho's `tls_set`."""

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        *,
        tls: dict[str, str] | None = None,
        clean_start: bool = True,
        session_expiry: int = 0,
        will: tuple[str, bytes] | None = None,
    ) -> None:
        self.host, self.port, self.client_id = host, port, client_id
        self.clean_start, self.session_expiry = clean_start, session_expiry
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        if tls is not None:
            self.client.tls_set(
                ca_certs=tls["ca_certs"],
                certfile=tls.get("certfile"),
                keyfile=tls.get("keyfile"),
                cert_reqs=ssl.CERT_REQUIRED,
            )
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.messages: queue.Queue[Received] = queue.Queue()
        self.connack: ReasonCode | None = None
        self.disconnects: list[ReasonCode] = []
        self._connected = threading.Event()
        self._closed = False
        self._ended = threading.Event()
        self._lock = threading.RLock()
        self._acks: dict[int, Any] = {}
        self._acked = threading.Condition(self._lock)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe

    # paho callbacks (its network thread)
    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        self.connack = reason
        if not reason.is_failure:
            self._connected.set()
        else:
            self._ended.set()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        self.disconnects.append(reason)
        self._connected.clear()
        self._ended.set()

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        self.messages.put(Received(message.topic, bytes(message.payload), bool(message.retain)))

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        with self._acked:
            self._acks[mid] = reason
            self._acked.notify_all()

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, reasons: list[ReasonCode], _p: Any) -> None:
        with self._acked:
            self._acks[mid] = reasons
            self._acked.notify_all()

    # test-facing API
    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def connect(self, timeout: float = TIMEOUT) -> Self:
        """Connect and wait for a successful CONNACK, or raise (TLS refusals raise ssl errors)."""
        self.try_connect(timeout)
        if not self.connected:
            raise ProbeError(
                f"{self.client_id}: not connected (CONNACK {self.connack}, "
                f"disconnects {self.disconnects})"
            )
        return self

    def try_connect(self, timeout: float = TIMEOUT) -> bool:
        """Attempt to connect once; True if the broker accepted the session."""
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self.session_expiry
        self.client.connect(
            self.host, self.port, keepalive=30, clean_start=self.clean_start, properties=properties
        )
        # Drive the network loop by hand until CONNACK or failure: a refused client must not be
        # left to paho's background reconnect loop.
        deadline = time.monotonic() + timeout
        while not (self._connected.is_set() or self._ended.is_set()):
            if (
                time.monotonic() > deadline
                or self.client.loop(timeout=0.05) != mqtt.MQTT_ERR_SUCCESS
            ):
                break
        if self.connected:
            self.client.loop_start()
        return self.connected

    def _wait_ack(self, mid: int, what: str, timeout: float) -> Any:
        with self._acked:
            if not self._acked.wait_for(lambda: mid in self._acks, timeout):
                raise ProbeError(f"{self.client_id}: no answer to {what} within {timeout} s")
            return self._acks.pop(mid)

    def subscribe(self, topic_filter: str, qos: int = 1, timeout: float = TIMEOUT) -> list[int]:
        """Subscribe and return the SUBACK reason codes (Mosquitto grants even denied filters)."""
        _rc, mid = self.client.subscribe(topic_filter, qos)
        if mid is None:
            raise ProbeError(f"{self.client_id}: SUBSCRIBE {topic_filter} not sent")
        reasons = self._wait_ack(mid, f"SUBSCRIBE {topic_filter}", timeout)
        return [reason.value for reason in reasons]

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        timeout: float = TIMEOUT,
    ) -> int:
        """Publish at QoS 1 and return the PUBACK reason code (0 accepted, 135 not authorized)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        reason = self._wait_ack(info.mid, f"PUBLISH {topic}", timeout)
        return int(reason.value)

    def receive_until(self, marker: bytes, timeout: float = TIMEOUT) -> list[Received]:
        """Every message received up to and including the one whose payload is `marker`."""
        received: list[Received] = []
        while True:
            try:
                message = self.messages.get(timeout=timeout)
            except queue.Empty:
                got = [m.payload for m in received]
                raise ProbeError(
                    f"{self.client_id}: marker {marker!r} not received within {timeout} s; "
                    f"got {got}"
                ) from None
            received.append(message)
            if message.payload == marker:
                return received

    def disconnect_with_will(self) -> None:
        """MQTT v5 DISCONNECT reason 4: the broker publishes the Last Will as if the link died."""
        self._closed = True
        reason = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
        self.client.disconnect(reasoncode=reason)
        self.client.loop_stop()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
