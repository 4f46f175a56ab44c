"""A wildcard MQTT subscriber that records every message on a broker (``#``), for privacy checks.

It reconnects by itself (paho's loop thread), re-subscribing on each connect, so a broker
restart in the middle of a test loses nothing it could have seen.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode


@dataclass(frozen=True)
class Recorded:
    topic: str
    payload: bytes
    retained: bool


class MqttRecorder:
    def __init__(self, host: str, port: int, client_id: str = "e2e-recorder") -> None:
        self.messages: list[Recorded] = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._client.reconnect_delay_set(0.2, 1.0)
        self._client.connect_async(host, port, keepalive=10)
        self._client.loop_start()
        if not self._subscribed.wait(10):
            self.close()
            raise AssertionError(f"recorder: no SUBACK from {host}:{port} within 10 s")

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        if not rc.is_failure:
            client.subscribe("#", qos=1)

    def _on_subscribe(self, _c: Any, _u: Any, _mid: int, _rc: Any, _p: Any) -> None:
        self._subscribed.set()

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(
                Recorded(message.topic, bytes(message.payload), bool(message.retain))
            )
            self._cond.notify_all()

    def payloads(self, topic_suffix: str) -> list[bytes]:
        with self._cond:
            return [m.payload for m in self.messages if m.topic.endswith(topic_suffix)]

    def wait_for(self, topic_suffix: str, needle: bytes, timeout_s: float = 15.0) -> bytes:
        """The first payload on a topic ending in ``topic_suffix`` that contains ``needle``."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for m in self.messages:
                    if m.topic.endswith(topic_suffix) and needle in m.payload:
                        return m.payload
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [m.topic for m in self.messages][-10:]
                    raise AssertionError(
                        f"no {needle!r} on *{topic_suffix} within {timeout_s} s; last: {seen}"
                    )
                self._cond.wait(left)

    def everything(self) -> bytes:
        with self._cond:
            return b"\n".join(m.topic.encode() + b" " + m.payload for m in self.messages)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
