"""Collector settings: environment variables ``CF_*``, optionally added to by a settings file.

Environment variables win over the file (``CF_SETTINGS_FILE``, TOML with the same names in lower
case without the prefix, e.g. ``db_url = "..."``). A bad value stops the collector with one line
naming the variable.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from collector.errors import ConfigError

ENV_PREFIX = "CF_"


class Settings(BaseSettings):
    """Everything the collector can be told; each field is one ``CF_<NAME>`` variable."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    mqtt_url: str = Field(
        "mqtt://127.0.0.1:1883",
        description="broker: mqtt://[user:password@]host:port or mqtts://host:port",
    )
    mqtt_ca: Path | None = Field(None, description="CA file for mqtts:// (PEM)")
    mqtt_cert: Path | None = Field(None, description="client certificate for mqtts:// (PEM)")
    mqtt_key: Path | None = Field(None, description="client key for mqtts:// (PEM)")
    mqtt_client_id: str = Field(
        "cf-collector",
        description="fixed MQTT client id of a single collector (persistent session)",
    )
    mqtt_shared_group: str | None = Field(
        None,
        description="run as one of N workers on $share/<group>/... (clean start), e.g. collectors",
    )
    mqtt_session_expiry_s: int = Field(
        7 * 24 * 3600, ge=0, description="how long the broker keeps a single collector's session"
    )
    mqtt_receive_maximum: int = Field(
        20000, ge=1, le=65535, description="QoS 1 messages the broker may have unacknowledged"
    )
    mqtt_keepalive_s: int = Field(30, ge=5, le=3600, description="MQTT keepalive")
    db_url: str = Field(
        "collector.db",
        description="a SQLite path (or sqlite:///path) or postgresql://user@host:port/db",
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL",
        description="SQLite's synchronous setting: FULL fsyncs every commit, so a PUBACK and a "
        "device's ack follow a commit that survives a power loss; NORMAL survives a crash of "
        "the process only (a power loss may take the last commits, already acknowledged)",
    )
    role: Literal["all", "reader"] = Field(
        "all",
        description="all: ingest, migrations, background jobs and the API; reader: the API and "
        "pages only, for a read replica (no ingest, no migrations, no background writers, "
        "writes answered 503)",
    )
    http_host: str = Field("127.0.0.1", description="HTTP listen address")
    http_port: int = Field(8080, ge=0, le=65535, description="HTTP listen port")
    mqtt_ingest_protocol: Literal["3.1.1", "5"] = Field(
        "3.1.1",
        description="MQTT version of the ingest subscription (3.1.1 is read at twice the rate; "
        "flow control and session expiry then come from the broker's settings)",
    )
    ingest_workers: int = Field(
        1,
        ge=1,
        le=16,
        description="ingest processes on $share/<group>/... (PostgreSQL; SQLite takes 1)",
    )
    batch_max: int = Field(2000, ge=1, le=20000, description="commit after this many messages")
    batch_window_ms: int = Field(
        0,
        ge=0,
        le=5000,
        description="wait this long after a batch's first message (0: commit at once when idle;"
        " under load batches form while the previous one commits)",
    )
    decode_workers: int = Field(
        1 if (os.cpu_count() or 1) > 1 else 0,
        ge=0,
        le=8,
        description="processes that validate messages (0: in the main process)",
    )
    heartbeat_timeout_s: float = Field(
        180, gt=0, description="a device silent this long counts as offline"
    )
    alert_offline_s: float = Field(600, ge=0, description="alert: offline longer than this")
    alert_outbox_age_s: float = Field(
        3600, ge=0, description="alert: oldest outbox event older than this"
    )
    alert_outbox_rising: int = Field(
        3, ge=1, description="alert: outbox depth grew in this many heartbeats in a row"
    )
    alert_pin_distance_m: float = Field(
        300, gt=0, description="alert: a device farther than this from its office pin"
    )
    alert_dead_letter_window_s: float = Field(
        86400, gt=0, description="alert: a device with dead-lettered events this recently"
    )
    alert_clock_skew_s: float = Field(
        300, gt=0, description="alert: the latest heartbeat arrived this much after its own time"
    )
    alert_clock_skew_window_s: float = Field(
        3600, gt=0, description="alert: a device sent messages dated ahead (clamped) this recently"
    )
    pin_min_fixes: int = Field(3, ge=1, description="GPS fixes needed before a GPS pin")
    pin_max_hdop: float = Field(3.0, gt=0, description="GPS fixes with a larger HDOP are ignored")
    pin_max_accuracy_m: float = Field(
        50, gt=0, description="GPS fixes less accurate than this are ignored"
    )
    pin_far_from_registered_m: float = Field(
        2000, gt=0, description="flag a pin this far from the office's registered location"
    )
    pin_shared_within_m: float = Field(
        10, ge=0, description="flag two offices whose pins are this close"
    )
    ts_future_skew_s: float = Field(
        300, ge=0, le=86400, description="a device ts further ahead of receive time is clamped"
    )
    ts_max_age_days: float = Field(
        30, gt=0, le=3650, description="a device ts older than this (vs receive time) is refused"
    )
    seq_max_jump: int = Field(
        100_000, ge=1, description="a seq further past the device's highest is dead-lettered"
    )
    seq_max_open_gaps: int = Field(
        100, ge=1, le=100_000, description="open seq gaps per device; a seq opening more waits"
    )
    ingest_qos0_max: int = Field(
        20_000, ge=1, description="QoS 0 messages waiting in the ingest inbox; more are dropped"
    )
    dead_letter_payload_max: int = Field(
        1024, ge=0, le=65536, description="payload bytes kept per dead letter (+ SHA-256, size)"
    )
    dead_letter_quota: int = Field(
        1000, ge=1, description="dead letters stored per device per hour (the rest counted)"
    )
    dead_letter_retention_days: float = Field(
        30, gt=0, description="dead letters older than this are deleted"
    )
    zero_copy_threshold: float = Field(
        0.1, ge=0, le=1, description="zero-copy: flag a share of sessions with a copy above this"
    )
    zero_copy_min_sessions: int = Field(
        20, ge=1, description="zero-copy: sessions needed before a measured share is flagged"
    )
    bootstrap_ops_token: str | None = Field(
        None,
        description="if set, this token is valid for role ops (hashed at start); "
        "unset or changed, the earlier one is revoked at the next start",
        repr=False,
    )
    token_ttl_days: float = Field(
        90, ge=0, description="default lifetime of a new API token in days (0: no expiry)"
    )
    token_touch_every_s: float = Field(
        60, ge=0, description="record a token's last use at most this often"
    )
    k_anonymity: int = Field(5, ge=1, description="public rating summaries hide counts below this")
    rate_limit_public: str = Field(
        "300/minute", description="requests per client address without a token (limits syntax)"
    )
    rate_limit_token: str = Field("3000/minute", description="requests per API token")
    rate_limit_auth_failures: str = Field(
        "30/minute", description="refused tokens per client address before 429"
    )
    rate_limit_session: str = Field(
        "1200/minute", description="requests per login session cookie (people using the pages)"
    )
    rate_limit_session_address: str = Field(
        "6000/minute",
        description="requests with a session cookie per client address (bounds made-up cookies)",
    )
    pepper_file: Path | None = Field(
        None,
        description="master pepper (32+ raw bytes or 64+ hex), mode 0600/0400 and owned by the "
        "collector's user; set it to deliver cf2 day keys over the commands channel",
    )
    office_timezone: str = Field(
        "Asia/Bangkok", description="IANA time zone of the offices' local date (day keys)"
    )
    day_key_interval_s: float = Field(
        60, gt=0, le=3600, description="how often the day-key delivery looks for work"
    )
    day_key_resend_s: float = Field(
        600, gt=0, le=86400, description="resend an unacknowledged day key after this long"
    )
    log_level: str = Field("INFO", description="logging level")

    @field_validator("mqtt_url")
    @classmethod
    def _check_mqtt_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("must be mqtt://host:port or mqtts://host:port")
        try:
            _ = parts.port
        except ValueError:
            raise ValueError("port must be a number 1-65535") from None
        return value

    @field_validator("db_url")
    @classmethod
    def _check_db_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme in ("postgresql", "postgres"):
            return value
        if "://" in value and not value.startswith("sqlite:///"):
            raise ValueError("must be a SQLite path, sqlite:///path or postgresql://...")
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator(
        "rate_limit_public",
        "rate_limit_token",
        "rate_limit_auth_failures",
        "rate_limit_session",
        "rate_limit_session_address",
    )
    @classmethod
    def _check_rate(cls, value: str) -> str:
        from limits import parse_many  # noqa: PLC0415 - ~1 s to import; only when set

        try:
            parse_many(value)
        except ValueError:
            raise ValueError("must be like 300/minute or 10/second;300/hour") from None
        return value

    @field_validator("office_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Asia/Bangkok") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    # Derived views ---------------------------------------------------------------------------
    @property
    def mqtt_host(self) -> str:
        return urlsplit(self.mqtt_url).hostname or "127.0.0.1"

    @property
    def mqtt_port(self) -> int:
        parts = urlsplit(self.mqtt_url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def mqtt_tls(self) -> bool:
        return urlsplit(self.mqtt_url).scheme == "mqtts"

    @property
    def mqtt_username(self) -> str | None:
        user = urlsplit(self.mqtt_url).username
        return unquote(user) if user else None

    @property
    def mqtt_password(self) -> str | None:
        password = urlsplit(self.mqtt_url).password
        return unquote(password) if password else None

    @property
    def reader(self) -> bool:
        """``CF_ROLE=reader``: serve reads only, on a database that may be read-only."""
        return self.role == "reader"

    @property
    def is_postgres(self) -> bool:
        return urlsplit(self.db_url).scheme in ("postgresql", "postgres")

    @property
    def sqlite_path(self) -> Path:
        value = self.db_url
        return Path(value[len("sqlite:///") :] if value.startswith("sqlite:///") else value)


def _describe(exc: ValidationError, source: str) -> str:
    err = exc.errors(include_url=False)[0]
    name = str(err["loc"][0]) if err["loc"] else "?"
    what = err["msg"]
    if err["type"] == "extra_forbidden":
        what = "unknown setting"
    return f"{source}{ENV_PREFIX}{name.upper()}: {what}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from ``CF_SETTINGS_FILE`` (if any), then the environment, then ``overrides``."""
    file_values: dict[str, Any] = {}
    settings_file = os.environ.get(f"{ENV_PREFIX}SETTINGS_FILE")
    if settings_file:
        path = Path(settings_file)
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"CF_SETTINGS_FILE: cannot read {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"CF_SETTINGS_FILE: {path} is not valid TOML: {exc}") from exc
    env_names = {k[len(ENV_PREFIX) :].lower() for k in os.environ if k.startswith(ENV_PREFIX)}
    values = {k: v for k, v in file_values.items() if k not in env_names}
    values.update(overrides)
    source = f"{settings_file}: " if file_values else ""
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def env_help() -> str:
    """One line per environment variable with its default, for ``--help``."""
    lines = []
    for name, field in Settings.model_fields.items():
        default = "" if field.is_required() else f" (default: {field.default})"
        if name == "bootstrap_ops_token":
            default = ""
        lines.append(f"  {ENV_PREFIX}{name.upper():<28} {field.description}{default}")
    lines.append(f"  {ENV_PREFIX}{'SETTINGS_FILE':<28} TOML file with any of the above (env wins)")
    return "\n".join(lines)
