"""THE paho-mqtt adapter of the agent: one connection to the broker, kept up, nothing else.

MQTT v5 (paho 2.x, callback API v2), TLS with client certificates or username/password, client
id = device id, a persistent session (``clean_start`` false, ``session_expiry_s``) so that the
broker queues the commands sent while the device is offline (the outbox, not the session, is
what keeps events), a
retained ``online`` state after each connect with a Last Will of ``offline``, ``offline`` on a
clean stop, and reconnects with exponential backoff and full jitter.

A fresh paho client per connection attempt keeps paho's own retry queue empty: what to resend
is decided by :mod:`agent.delivery` from the outbox. Paho callbacks only queue what happened;
the connection thread hands it to :class:`ConnectionListener` after ``loop()`` returns, outside
paho's locks.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from agent.config import MqttSettings
from agent.wire import StateDoc, encode
from protocols.topics import QOS, RETAINED, Channel, topic

_LOGGER = logging.getLogger(__name__)

LOOP_TIMEOUT_S = 0.5


class ConnectionListener(Protocol):
    def connected(self) -> None: ...

    def disconnected(self) -> None: ...

    def message(self, channel: Channel, payload: bytes) -> None: ...

    def puback(self, mid: int, ok: bool) -> None:
        """Called on paho's thread inside its locks: record only."""
        ...

    def flush(self) -> None:
        """Called on the connection thread after each network round, outside paho's locks."""
        ...


def backoff_delay(attempt: int, low: float, high: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: uniform in [cap/2, cap], cap = low * 2**attempt."""
    cap = min(high, low * (2 ** min(attempt, 30)))
    return rng.uniform(cap / 2, cap)


def new_client(settings: MqttSettings, device_id: str) -> mqtt.Client:
    """A paho client configured for this device (TLS or credentials), not yet connected."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=device_id,
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.connect_timeout = settings.connect_timeout_s
    # Unlimited in paho: agent.delivery bounds the events in flight (``window`` <= 60000, so
    # with the few telemetry messages nothing nears the 16-bit packet-id limit). A paho limit
    # would also cost O(in-flight) per PUBACK (its _update_inflight scans every message).
    client.max_inflight_messages_set(0)
    client.max_queued_messages_set(0)
    if settings.tls:
        client.tls_set(
            ca_certs=str(settings.ca_file) if settings.ca_file else None,
            certfile=str(settings.cert_file) if settings.cert_file else None,
            keyfile=str(settings.key_file) if settings.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
    if settings.username:
        password = settings.password.get_secret_value() if settings.password else None
        client.username_pw_set(settings.username, password)
    return client


class Publisher:
    """Keeps one MQTT connection for a device; thread-safe ``publish``."""

    def __init__(
        self,
        settings: MqttSettings,
        device_id: str,
        sw_version: str,
        listener: ConnectionListener,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._device = device_id
        self._sw = sw_version
        self._listener = listener
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not security)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self._connected = False
        self._queue: deque[Callable[[], None]] = deque()
        self.last_error: str | None = None
        self.action_failures = 0
        self.subscribed = threading.Event()
        """Set once the broker granted this connection's subscriptions (SUBACK); cleared on loss."""
        self._beat = time.monotonic()
        # A loop round lasts LOOP_TIMEOUT_S; connecting may block for a connect timeout (TCP, then
        # TLS): beyond this without a beat the thread is stuck (see agent.liveness).
        self.stuck_after_s = max(60.0, 3 * settings.connect_timeout_s)

    @property
    def connected(self) -> bool:
        return self._connected

    def _state(self, state: str) -> bytes:
        return encode(StateDoc(device=self._device, state=state, sw_version=self._sw))  # type: ignore[arg-type]

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    @property
    def last_beat(self) -> float:
        """``time.monotonic()`` when the connection thread last made progress."""
        return self._beat

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"mqtt-{self._device}", daemon=True)
        self._thread.start()

    def publish(self, channel: Channel, payload: bytes) -> int | None:
        """Publish on the device's ``channel`` (QoS and retain per PROTOCOL.md).

        Returns the message id, or None when not connected (nothing is queued then).
        """
        client = self._client
        if client is None or not self._connected:
            return None
        info = client.publish(
            topic(self._device, channel), payload, qos=QOS[channel], retain=RETAINED[channel]
        )
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return None
        return info.mid

    def publish_event(self, payload: bytes) -> int | None:
        return self.publish(Channel.EVENTS, payload)

    # -- the connection thread -------------------------------------------------------------
    def _build(self) -> mqtt.Client:
        client = new_client(self._settings, self._device)
        client.will_set(
            topic(self._device, Channel.STATE), self._state("offline"), qos=1, retain=True
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        return client

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self._beat = time.monotonic()
            if self._session():
                attempt = 0
            else:
                attempt += 1
            if self._stop.is_set():
                break
            delay = backoff_delay(
                attempt, self._settings.backoff_min_s, self._settings.backoff_max_s, self._rng
            )
            _LOGGER.info("broker connection down; retrying in %.1f s", delay)
            until = time.monotonic() + delay
            while not self._stop.is_set() and (left := until - time.monotonic()) > 0:
                self._beat = time.monotonic()
                self._stop.wait(min(1.0, left))

    def _session(self) -> bool:
        """One connection from connect to loss; True if the broker accepted us."""
        accepted = False
        try:
            client = self._build()
        except (OSError, ValueError) as exc:  # e.g. a TLS file missing or unreadable
            self.last_error = f"cannot set up the MQTT client: {exc}"
            _LOGGER.error("%s", self.last_error)
            return False
        expiry = self._settings.session_expiry_s
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = expiry
        try:
            client.connect(
                self._settings.host,
                self._settings.port,
                keepalive=self._settings.keepalive_s,
                clean_start=expiry == 0,
                properties=properties,
            )
        except (OSError, ssl.SSLError, ValueError) as exc:
            self.last_error = (
                f"cannot connect to {self._settings.host}:{self._settings.port}: {exc}"
            )
            _LOGGER.warning("%s", self.last_error)
            return False
        self._client = client
        deadline = time.monotonic() + self._settings.connect_timeout_s
        try:
            while not self._stop.is_set():
                self._beat = time.monotonic()
                rc = client.loop(timeout=LOOP_TIMEOUT_S)
                alive = self._dispatch()
                accepted = accepted or self._connected
                if self._connected:
                    self._guarded("flush", self._listener.flush)
                if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or not alive:
                    break
                if not self._connected and time.monotonic() > deadline:
                    self.last_error = "no CONNACK from the broker in time"
                    break
            if self._stop.is_set() and self._connected:
                self._goodbye(client)
        finally:
            was = self._connected
            self._connected = False
            self.subscribed.clear()
            self._client = None
            self._queue.clear()
            if client.is_connected():
                client.disconnect()
                client.loop(timeout=0.05)
            if was:
                self._listener.disconnected()
        return accepted

    def _goodbye(self, client: mqtt.Client) -> None:
        """Clean stop: retained ``offline`` (so the will is not needed), then DISCONNECT."""
        info = client.publish(
            topic(self._device, Channel.STATE), self._state("offline"), qos=1, retain=True
        )
        deadline = time.monotonic() + 3.0
        while not info.is_published() and time.monotonic() < deadline:
            if client.loop(timeout=0.1) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                break
        client.disconnect()
        client.loop(timeout=0.1)

    def _dispatch(self) -> bool:
        """Run queued callbacks in this thread; False when the connection is gone."""
        alive = True
        while self._queue:
            action = self._queue.popleft()
            if action is _LOST:
                alive = False
                continue
            self._guarded(getattr(action, "__name__", "action"), action)
        return alive

    def _guarded(self, name: str, action: Callable[[], None]) -> None:
        """Run one queued action; a failure is logged and counted, never fatal to the thread.

        A full disk during ``set_location`` or an outbox error during a pump must not end the
        connection (issue 13, defect 4): the next action, and the next round, run as usual.
        """
        try:
            action()
        except Exception as exc:  # one failing action is logged, the thread goes on
            self.action_failures += 1
            _LOGGER.error(
                "mqtt action failed: action=%s error=%s failures=%s detail=%s",
                name,
                type(exc).__name__,
                self.action_failures,
                str(exc)[:200],
                exc_info=exc,
            )

    # -- paho callbacks: record only ------------------------------------------------------
    def _on_connect(
        self, client: mqtt.Client, _u: Any, _flags: Any, rc: ReasonCode, _p: Any
    ) -> None:
        if rc.is_failure:
            self.last_error = f"broker refused the connection: {rc}"
            _LOGGER.error("%s", self.last_error)
            self._queue.append(_LOST)
            return
        client.subscribe(
            [
                (topic(self._device, Channel.COMMANDS), QOS[Channel.COMMANDS]),
                (topic(self._device, Channel.ACKS), QOS[Channel.ACKS]),
            ]
        )
        client.publish(
            topic(self._device, Channel.STATE), self._state("online"), qos=1, retain=True
        )
        self._connected = True
        self.last_error = None
        _LOGGER.info("connected to %s:%s", self._settings.host, self._settings.port)
        self._queue.append(self._listener.connected)

    def _on_disconnect(self, _c: Any, _u: Any, _flags: Any, rc: ReasonCode, _p: Any) -> None:
        self._connected = False
        self.last_error = f"disconnected: {rc}"
        self._queue.append(_LOST)

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        channel = message.topic.rsplit("/", 1)[-1]
        try:
            parsed = Channel(channel)
        except ValueError:
            return
        payload = bytes(message.payload)

        def deliver() -> None:
            self._listener.message(parsed, payload)

        deliver.__name__ = f"message:{parsed.value}"
        self._queue.append(deliver)

    def _on_subscribe(self, _c: Any, _u: Any, _mid: int, codes: list[ReasonCode], _p: Any) -> None:
        if all(not code.is_failure for code in codes):
            self.subscribed.set()
        else:
            _LOGGER.error("broker refused a subscription: %s", [str(c) for c in codes])

    def _on_publish(self, _c: Any, _u: Any, mid: int, rc: ReasonCode, _p: Any) -> None:
        self._listener.puback(mid, not rc.is_failure)

    def stop(self) -> None:
        """Publish ``offline``, disconnect and end the connection thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def _lost() -> None:
    """Marker queued when the connection is gone."""


_LOST: Callable[[], None] = _lost
