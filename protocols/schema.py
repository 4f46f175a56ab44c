"""Machine-readable contract: an AsyncAPI 3 document (and plain JSON Schemas) for every topic."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import models_json_schema

from protocols.base import WireModel
from protocols.codec import DOCUMENT_TYPES, ENVELOPE_TYPES, MAX_PAYLOAD_BYTES
from protocols.topics import PREFIX, QOS, RETAINED, Channel

_SUMMARIES = {
    Channel.EVENTS: "Counter events, one envelope each, with a per-device seq.",
    Channel.HEARTBEAT: "Device health every few seconds.",
    Channel.LOCATION: "The device's position (GPS or provisioned); retained.",
    Channel.STATE: "online/offline; retained; also the Last Will.",
    Channel.COMMANDS: "Collector to device: a command envelope.",
    Channel.COMMAND_RESULTS: "Device to collector: the result of a command.",
    Channel.ACKS: "Collector to device: end-to-end acknowledgement (acked_seq); retained.",
}
_RECEIVED_BY_DEVICE = {Channel.COMMANDS, Channel.ACKS}


def _channel_models(channel: Channel) -> list[type[WireModel]]:
    if channel in DOCUMENT_TYPES:
        return [DOCUMENT_TYPES[channel]]
    return list(ENVELOPE_TYPES[channel].values())


def json_schemas() -> dict[str, Any]:
    """One JSON Schema per channel, keyed by the topic pattern."""
    out: dict[str, Any] = {}
    for channel in Channel:
        models = _channel_models(channel)
        union: Any = models[0]
        for model in models[1:]:
            union = union | model
        out[f"{PREFIX}/{{device_id}}/{channel.value}"] = TypeAdapter(union).json_schema(
            mode="serialization"
        )
    return out


def asyncapi() -> dict[str, Any]:
    """An AsyncAPI 3.0 document for the whole v1 topic tree, seen from the collector."""
    all_models = sorted({m for c in Channel for m in _channel_models(c)}, key=lambda m: m.__name__)
    _, defs = models_json_schema(
        [(m, "serialization") for m in all_models], ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Any] = defs.get("$defs", {})
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for channel in Channel:
        key = channel.value.replace("-", "_")
        channel_messages: dict[str, Any] = {}
        for model in _channel_models(channel):
            name = f"{key}.{model.__name__}"
            messages[name] = {
                "name": model.__name__,
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
                "bindings": {"mqtt": {"qos": QOS[channel], "retain": RETAINED[channel]}},
            }
            channel_messages[model.__name__] = {"$ref": f"#/components/messages/{name}"}
        channels[key] = {
            "address": f"{PREFIX}/{{device_id}}/{channel.value}",
            "description": _SUMMARIES[channel],
            "parameters": {"device_id": {"description": "^[a-z0-9][a-z0-9-]{2,63}$"}},
            "messages": channel_messages,
        }
        operations[f"{'send' if channel in _RECEIVED_BY_DEVICE else 'receive'}_{key}"] = {
            "action": "send" if channel in _RECEIVED_BY_DEVICE else "receive",
            "channel": {"$ref": f"#/channels/{key}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Citizen Feedback wire protocol",
            "version": "1",
            "description": (
                "Counter devices and the central collector over MQTT. UTF-8 JSON, at most "
                f"{MAX_PAYLOAD_BYTES} bytes a payload; unknown fields are ignored by receivers."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }
