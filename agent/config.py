"""The agent's one config file (TOML), validated at start, with ``CF_`` environment overrides.

Environment variables override the file, nested with ``__``: ``CF_MQTT__URL``,
``CF_OUTBOX__PATH``, ``CF_SESSION__RATING_WINDOW_S``. A bad file stops the agent with one line
that names the file, the field and what was expected (:class:`agent.errors.ConfigError`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from agent.card.settings import CardSettings
from agent.config_model import FieldError, Secret, Section, setting
from agent.errors import ConfigError
from agent.officer_view.settings import OfficerViewSettings
from protocols.plain import ID_PATTERN


def _package_version() -> str:
    try:
        return version("citizen-feedback")
    except PackageNotFoundError:
        return "0.0.0"


class DeviceSettings(Section):
    id: str = setting(pattern=ID_PATTERN)
    office: str | None = setting(default=None, pattern=ID_PATTERN)
    sw_version: str = setting(default_factory=_package_version, min_length=1, max_length=64)


class MqttSettings(Section):
    url: str = "mqtt://127.0.0.1:1883"
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    username: str | None = None
    password: Secret | None = None
    keepalive_s: int = setting(default=30, ge=5, le=3600)
    connect_timeout_s: float = setting(default=10.0, gt=0, le=120)
    backoff_min_s: float = setting(default=0.5, gt=0, le=60)
    backoff_max_s: float = setting(default=60.0, gt=0, le=3600)
    window: int = setting(default=1000, ge=1, le=60000)
    # The broker keeps this device's session (subscriptions, queued commands) this long while
    # it is offline; longer than the longest command expiry the API allows (1 day). 0 = clean
    # start, commands sent while offline are lost.
    session_expiry_s: int = setting(default=2 * 86400, ge=0, le=30 * 86400)

    def check(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("url must look like mqtt://host:port or mqtts://host:port")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        if self.backoff_min_s > self.backoff_max_s:
            raise ValueError("backoff_min_s must not exceed backoff_max_s")

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (8883 if self.tls else 1883)


class OutboxSettings(Section):
    path: Path = Path("/var/lib/citizen-feedback/outbox.sqlite3")
    max_events: int = setting(default=1_000_000, ge=10)
    max_mb: float = setting(default=512.0, gt=0)
    min_disk_free_mb: float = setting(default=200.0, ge=0)
    republish_after_s: float = setting(default=120.0, gt=0)


class SessionSettings(Section):
    rating_window_s: float = setting(default=60.0, gt=0, le=3600)
    min_press_interval_s: float = setting(default=2.0, ge=0, le=60)
    timeout_s: float = setting(default=1800.0, gt=0)
    copy_document: Literal["id_card", "house_registration", "other"] = "id_card"


class PanelSettings(Section):
    enabled: bool = True
    pin_factory: Literal["default", "mock"] = "default"
    buttons: list[int] = setting(default_factory=lambda: [5, 6, 13, 19, 26], ge=0, le=53)
    leds: list[int] = setting(default_factory=lambda: [12, 16, 20, 21, 25], ge=0, le=53)
    status_led: int | None = setting(default=24, ge=0, le=53)
    staff_button: int | None = setting(default=23, ge=0, le=53)
    staff_hold_s: float = setting(default=2.0, gt=0, le=30)
    pull_up: bool = True
    bounce_s: float | None = setting(default=0.05, ge=0, le=1)
    ack_blink_s: float = setting(default=0.15, gt=0, le=5)
    ack_blinks: int = setting(default=3, ge=1, le=20)

    def check(self) -> None:
        if len(self.buttons) not in (3, 4, 5):
            raise ValueError("buttons must list 3, 4 or 5 pins (one per score, worst first)")
        if len(self.leds) != len(self.buttons):
            raise ValueError("leds must list one pin per button, in the same order")
        pins = [*self.buttons, *self.leds]
        pins += [p for p in (self.status_led, self.staff_button) if p is not None]
        if len(set(pins)) != len(pins):
            raise ValueError("every pin may be used once only")

    @property
    def scale(self) -> int:
        return len(self.buttons)


class HeartbeatSettings(Section):
    interval_s: float = setting(default=60.0, ge=1, le=3600)


class LocationSettings(Section):
    gpsd: bool = True
    gpsd_host: str = "127.0.0.1"
    gpsd_port: int = setting(default=2947, ge=1, le=65535)
    min_mode: Literal[2, 3] = 2
    max_hdop: float = setting(default=5.0, gt=0)
    max_eph_m: float = setting(default=50.0, gt=0)
    move_threshold_m: float = setting(default=100.0, gt=0)
    republish_interval_s: float = setting(default=900.0, ge=10)
    # After start (and after a move) good fixes are sampled this long and sent as one
    # consolidated fix (median, spread, count); 0 turns consolidation off.
    consolidate_s: float = setting(default=60.0, ge=0, le=3600)
    consolidate_max_fixes: int = setting(default=120, ge=2, le=3600)
    lat: float | None = setting(default=None, ge=-90, le=90)
    lon: float | None = setting(default=None, ge=-180, le=180)
    accuracy_m: float | None = setting(default=None, ge=0)

    def check(self) -> None:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")


class AgentConfig(Section):
    """The whole file; :func:`load_config` lays the ``CF_`` environment over the TOML values.
    Sections may be given as tables (``AgentConfig(device={"id": ...})``)."""

    device: DeviceSettings
    mqtt: MqttSettings = setting(default_factory=MqttSettings)
    outbox: OutboxSettings = setting(default_factory=OutboxSettings)
    session: SessionSettings = setting(default_factory=SessionSettings)
    panel: PanelSettings = setting(default_factory=PanelSettings)
    card: CardSettings = setting(default_factory=CardSettings)
    heartbeat: HeartbeatSettings = setting(default_factory=HeartbeatSettings)
    location: LocationSettings = setting(default_factory=LocationSettings)
    officer_view: OfficerViewSettings = setting(default_factory=OfficerViewSettings)


SECTIONS = tuple(f.name for f in dataclasses.fields(AgentConfig))


ENV_PREFIX = "CF_"
ENV_NESTED = "__"


def environment_overrides(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``CF_<SECTION>__<FIELD>`` variables as nested data for :class:`AgentConfig`.

    Names are case-insensitive; a value that starts with ``[`` or ``{`` is read as JSON
    (``CF_PANEL__BUTTONS='[5, 6, 13]'``), any other stays a string for the field to convert.
    Variables whose section is not one of the config's are ignored; an unknown field inside a
    known section is refused like one in the file. (Written out here rather than with
    pydantic-settings: that library imports asyncio, dotenv and its cloud providers, ~3.5 MB
    of a counter's 40 MB budget, for these few lines.)
    """
    sections = set(SECTIONS)
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


def _describe(err: FieldError) -> str:
    loc = ".".join(err.loc) or "(top level)"
    return f"field {loc}: {err.message}"


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
        return AgentConfig.from_data(_overlay(data, environment_overrides()))
    except FieldError as exc:  # the first problem found (pydantic listed them all)
        raise ConfigError(f"config {path}: {_describe(exc)}") from None
