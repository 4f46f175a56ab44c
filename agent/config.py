"""The agent's one config file (TOML), validated at start, with ``CF_`` environment overrides.

Environment variables override the file, nested with ``__``: ``CF_MQTT__URL``,
``CF_OUTBOX__PATH``, ``CF_SESSION__RATING_WINDOW_S``. A bad file stops the agent with one line
that names the file, the field and what was expected (:class:`agent.errors.ConfigError`).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from agent.card.settings import CardSettings
from agent.errors import ConfigError
from protocols.identifiers import ID_PATTERN

Pin = Annotated[int, Field(ge=0, le=53)]


def _package_version() -> str:
    try:
        return version("citizen-feedback")
    except PackageNotFoundError:
        return "0.0.0"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceSettings(_Section):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    office: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    sw_version: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        default_factory=_package_version
    )


class MqttSettings(_Section):
    url: str = "mqtt://127.0.0.1:1883"
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    username: str | None = None
    password: SecretStr | None = None
    keepalive_s: Annotated[int, Field(ge=5, le=3600)] = 30
    connect_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    backoff_min_s: Annotated[float, Field(gt=0, le=60)] = 0.5
    backoff_max_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    window: Annotated[int, Field(ge=1, le=60000)] = 1000
    # The broker keeps this device's session (subscriptions, queued commands) this long while
    # it is offline; longer than the longest command expiry the API allows (1 day). 0 = clean
    # start, commands sent while offline are lost.
    session_expiry_s: Annotated[int, Field(ge=0, le=30 * 86400)] = 2 * 86400

    @model_validator(mode="after")
    def _check(self) -> Self:
        parts = urlsplit(self.url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("url must look like mqtt://host:port or mqtts://host:port")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        if self.backoff_min_s > self.backoff_max_s:
            raise ValueError("backoff_min_s must not exceed backoff_max_s")
        return self

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (8883 if self.tls else 1883)


class OutboxSettings(_Section):
    path: Path = Path("/var/lib/citizen-feedback/outbox.sqlite3")
    max_events: Annotated[int, Field(ge=10)] = 1_000_000
    max_mb: Annotated[float, Field(gt=0)] = 512.0
    min_disk_free_mb: Annotated[float, Field(ge=0)] = 200.0
    republish_after_s: Annotated[float, Field(gt=0)] = 120.0


class SessionSettings(_Section):
    rating_window_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    min_press_interval_s: Annotated[float, Field(ge=0, le=60)] = 2.0
    timeout_s: Annotated[float, Field(gt=0)] = 1800.0
    copy_document: Literal["id_card", "house_registration", "other"] = "id_card"


class PanelSettings(_Section):
    enabled: bool = True
    pin_factory: Literal["default", "mock"] = "default"
    buttons: list[Pin] = Field(default_factory=lambda: [5, 6, 13, 19, 26])
    leds: list[Pin] = Field(default_factory=lambda: [12, 16, 20, 21, 25])
    status_led: Pin | None = 24
    staff_button: Pin | None = 23
    staff_hold_s: Annotated[float, Field(gt=0, le=30)] = 2.0
    pull_up: bool = True
    bounce_s: Annotated[float, Field(ge=0, le=1)] | None = 0.05
    ack_blink_s: Annotated[float, Field(gt=0, le=5)] = 0.15
    ack_blinks: Annotated[int, Field(ge=1, le=20)] = 3

    @model_validator(mode="after")
    def _check(self) -> Self:
        if len(self.buttons) not in (3, 4, 5):
            raise ValueError("buttons must list 3, 4 or 5 pins (one per score, worst first)")
        if len(self.leds) != len(self.buttons):
            raise ValueError("leds must list one pin per button, in the same order")
        pins = [*self.buttons, *self.leds]
        pins += [p for p in (self.status_led, self.staff_button) if p is not None]
        if len(set(pins)) != len(pins):
            raise ValueError("every pin may be used once only")
        return self

    @property
    def scale(self) -> int:
        return len(self.buttons)


class HeartbeatSettings(_Section):
    interval_s: Annotated[float, Field(ge=1, le=3600)] = 60.0


class LocationSettings(_Section):
    gpsd: bool = True
    gpsd_host: str = "127.0.0.1"
    gpsd_port: Annotated[int, Field(ge=1, le=65535)] = 2947
    min_mode: Literal[2, 3] = 2
    max_hdop: Annotated[float, Field(gt=0)] = 5.0
    max_eph_m: Annotated[float, Field(gt=0)] = 50.0
    move_threshold_m: Annotated[float, Field(gt=0)] = 100.0
    republish_interval_s: Annotated[float, Field(ge=10)] = 900.0
    # After start (and after a move) good fixes are sampled this long and sent as one
    # consolidated fix (median, spread, count); 0 turns consolidation off.
    consolidate_s: Annotated[float, Field(ge=0, le=3600)] = 60.0
    consolidate_max_fixes: Annotated[int, Field(ge=2, le=3600)] = 120
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    accuracy_m: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        return self


class AgentConfig(BaseModel):
    """The whole file; :func:`load_config` lays the ``CF_`` environment over the TOML values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: DeviceSettings
    mqtt: MqttSettings = MqttSettings()
    outbox: OutboxSettings = OutboxSettings()
    session: SessionSettings = SessionSettings()
    panel: PanelSettings = PanelSettings()
    card: CardSettings = CardSettings()
    heartbeat: HeartbeatSettings = HeartbeatSettings()
    location: LocationSettings = LocationSettings()


ENV_PREFIX = "CF_"
ENV_NESTED = "__"


def environment_overrides(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``CF_<SECTION>__<FIELD>`` variables as nested data for :class:`AgentConfig`.

    Names are case-insensitive; a value that starts with ``[`` or ``{`` is read as JSON
    (``CF_PANEL__BUTTONS='[5, 6, 13]'``), any other stays a string for pydantic to convert.
    Variables whose section is not one of the config's are ignored; an unknown field inside a
    known section is refused like one in the file. (Written out here rather than with
    pydantic-settings: that library imports asyncio, dotenv and its cloud providers, ~3.5 MB
    of a counter's 40 MB budget, for these few lines.)
    """
    sections = set(AgentConfig.model_fields)
    found: dict[str, Any] = {}
    for name, raw in (os.environ if environ is None else environ).items():
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX):
            continue
        path = upper[len(ENV_PREFIX) :].lower().split(ENV_NESTED)
        if len(path) < 2 or path[0] not in sections or not all(path):
            continue
        node = found
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[path[-1]] = _env_value(raw)
    return found


def _env_value(raw: str) -> Any:
    if raw.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _overlay(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on top, tables merged key by key (``over`` wins)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown field (check the spelling against agent.example.toml)"
    elif err["type"] == "missing":
        msg = "required field is missing"
    return f"field {loc}: {msg}"


def load_config(path: Path | str) -> AgentConfig:
    """Read and validate the config at ``path``; raise :class:`ConfigError` with one line."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config {path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path}: not valid TOML: {exc}") from None
    try:
        return AgentConfig(**_overlay(data, environment_overrides()))
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(f"config {path}: {_describe(errors[0])}{more}") from None
