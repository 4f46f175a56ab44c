"""Test-side device stand-ins: build protocol messages and publish them with a real paho client."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocols import (
    Channel,
    Heartbeat,
    HeartbeatBody,
    Location,
    LocationBody,
    OutboxDropped,
    OutboxDroppedBody,
    Rating,
    RatingBody,
    State,
    encode,
    new_message_id,
    now,
    topic,
)


def rating(device: str, seq: int, score: int = 4, scale: int = 5, verified: bool = True) -> bytes:
    return encode(
        Rating(
            v=1,
            id=new_message_id(),
            device=device,
            ts=now(),
            seq=seq,
            body=RatingBody(session=None, score=score, scale=scale, verified=verified),
        )
    )


def dropped(device: str, seq: int, first: int, last: int) -> bytes:
    return encode(
        OutboxDropped(
            v=1,
            id=new_message_id(),
            device=device,
            ts=now(),
            seq=seq,
            body=OutboxDroppedBody(from_seq=first, to_seq=last, reason="disk full"),
        )
    )


def heartbeat(device: str, **fields: Any) -> bytes:
    body: dict[str, Any] = {
        "uptime_s": 10.0,
        "sw_version": "1.0.0",
        "last_seq": 0,
        "outbox_depth": 0,
        "outbox_oldest_s": None,
        "reader": "present",
        "panel": "ok",
        "gps": "fix",
        "clock_synced": True,
    }
    body.update(fields)
    return encode(
        Heartbeat(v=1, id=new_message_id(), device=device, ts=now(), body=HeartbeatBody(**body))
    )


def location(device: str, lat: float, lon: float, **fields: Any) -> bytes:
    body: dict[str, Any] = {"source": "gps", "accuracy_m": 5.0, "hdop": 0.9, "sats": 9, "fix": "3d"}
    body.update(fields)
    return encode(
        Location(
            v=1,
            id=new_message_id(),
            device=device,
            ts=now(),
            body=LocationBody(lat=lat, lon=lon, **body),
        )
    )


def state(device: str, value: str) -> bytes:
    return encode(State(v=1, device=device, state=value, sw_version="1.0.0"))  # type: ignore[arg-type]


def rejected_event(device: str, seq: int) -> bytes:
    """Sound envelope, unknown type: dead-lettered but counts for its seq."""
    return json.dumps(
        {
            "v": 1,
            "id": str(uuid.uuid4()),
            "device": device,
            "ts": now().isoformat(),
            "seq": seq,
            "type": "from.the.future",
            "body": {},
        }
    ).encode()


class MqttPeer:
    """A paho client (MQTT v5) that publishes QoS 1 and records the acks it is sent.

    Ready when constructed (CONNACK received); ``watch_*`` return once the broker's SUBACK granted
    the subscription, so what is published afterwards reaches it (paho drops a SUBSCRIBE made
    before CONNACK, and the broker does not deliver to a subscription it has not yet granted).
    """

    TIMEOUT_S = 15.0

    def __init__(self, url: str, client_id: str | None = None) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id or f"peer-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.acks: dict[str, list[int]] = {}
        self.commands: list[bytes] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._subacks: dict[int, list[Any]] = {}
        self._subacked = threading.Condition(self._lock)
        self.client.on_message = self._on_message
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.connect(host, int(port))
        self.client.loop_start()
        if not self._connected.wait(self.TIMEOUT_S):
            self.close()
            raise AssertionError(f"no CONNACK from {url} within {self.TIMEOUT_S} s")

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            self._connected.set()

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, reasons: list[Any], _p: Any) -> None:
        with self._subacked:
            self._subacks[mid] = reasons
            self._subacked.notify_all()

    def _subscribe(self, topic_filter: str) -> None:
        """Subscribe at QoS 1 and wait until the broker granted it."""
        rc, mid = self.client.subscribe(topic_filter, qos=1)
        assert rc == mqtt.MQTT_ERR_SUCCESS, f"SUBSCRIBE {topic_filter} not sent: {rc}"
        with self._subacked:
            if not self._subacked.wait_for(lambda: mid in self._subacks, self.TIMEOUT_S):
                raise AssertionError(f"no SUBACK for {topic_filter} within {self.TIMEOUT_S} s")
            reasons = self._subacks.pop(mid)
        assert [r.is_failure for r in reasons] == [False], f"{topic_filter}: {reasons}"

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/acks"):
            data = json.loads(msg.payload)
            with self._lock:
                self.acks.setdefault(data["device"], []).append(data["acked_seq"])
        else:
            self.commands.append(msg.payload)

    def watch_acks(self, device: str = "+") -> None:
        self._subscribe(f"cf/v1/devices/{device}/acks")

    def watch_commands(self, device: str) -> None:
        self._subscribe(topic(device, Channel.COMMANDS))

    def last_ack(self, device: str) -> int | None:
        with self._lock:
            values = self.acks.get(device)
            return values[-1] if values else None

    def publish(
        self, device: str, channel: Channel, payload: bytes, *, retain: bool = False
    ) -> None:
        self.publish_raw(topic(device, channel), payload, retain=retain)

    def publish_raw(self, name: str, payload: bytes, *, retain: bool = False) -> None:
        info = self.client.publish(name, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout=10)

    def publish_many(self, items: Iterable[tuple[str, bytes]], window: int = 500) -> int:
        """Publish (topic, payload) pairs with at most ``window`` in flight; return the count."""
        pending: list[mqtt.MQTTMessageInfo] = []
        count = 0
        for name, payload in items:
            pending.append(self.client.publish(name, payload, qos=1))
            count += 1
            if len(pending) >= window:
                for info in pending:
                    info.wait_for_publish(timeout=30)
                pending.clear()
        for info in pending:
            info.wait_for_publish(timeout=30)
        return count

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_for(predicate: Any, timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns a truthy value; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


async def eventually(predicate: Any, within: float = 15.0, interval: float = 0.05) -> Any:
    """Like :func:`wait_for` but yields to the event loop (the in-process collector runs there);
    ``predicate`` may be a coroutine function."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)
