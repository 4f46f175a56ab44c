"""``agent check``'s broker test: connect once with the device's credentials, then leave."""

from __future__ import annotations

import ssl
import time
from typing import Any

from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from agent.config import MqttSettings
from agent.publisher import new_client


def probe(settings: MqttSettings, device_id: str) -> str | None:
    """Connect once with these credentials (for ``agent check``); None if accepted, else why."""
    outcome: dict[str, str | None] = {}
    try:
        client = new_client(settings, device_id)
    except (OSError, ValueError) as exc:
        return f"cannot set up the MQTT client: {exc}"

    def on_connect(_c: Any, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        outcome["rc"] = None if not rc.is_failure else f"broker refused: {rc}"

    client.on_connect = on_connect
    try:
        client.connect(settings.host, settings.port, keepalive=10, clean_start=True)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return f"cannot connect to {settings.host}:{settings.port}: {exc}"
    deadline = time.monotonic() + settings.connect_timeout_s
    while "rc" not in outcome and time.monotonic() < deadline:
        if client.loop(timeout=0.2) != MQTTErrorCode.MQTT_ERR_SUCCESS:
            break
    client.disconnect()
    if "rc" not in outcome:
        return "no CONNACK from the broker in time"
    return outcome["rc"]
