"""Case and 1111-connector settings (``CF_CASES_*``), apart from the core settings model.

Like :mod:`collector.accounts.settings`, kept out of :class:`collector.config.Settings` so this part
plugs in without touching what every other part reads. Each field is one ``CF_<NAME>`` variable.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from collector.errors import ConfigError
from collector.part_settings import PartSettings


def parse_keys(value: str) -> dict[str, bytes]:
    """``id:base64[,id:base64...]`` to ``{id: 32-byte key}`` (first = the key new contacts use)."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id.strip():
            raise ValueError("must be key-id:base64-of-32-bytes[,key-id:base64...]")
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"key {key_id.strip()!r} is not valid base64") from None
        if len(raw) != 32:
            raise ValueError(f"key {key_id.strip()!r} must be 32 bytes (AES-256), not {len(raw)}")
        keys[key_id.strip()] = raw
    return keys


class CaseSettings(PartSettings):
    """Where complaints go, how they are signed, retried and kept."""

    cases_transport: Literal["none", "webhook", "email"] = Field(
        "none", description="how cases reach the 1111 centre: webhook, email, or none (held)"
    )
    cases_webhook_url: str = Field("", description="the centre's HTTPS endpoint for new cases")
    cases_webhook_secret: str = Field(
        "", description="shared HMAC-SHA256 secret for outgoing bodies and callbacks", repr=False
    )
    cases_webhook_timeout_s: float = Field(
        10, gt=0, le=300, description="give up on one webhook attempt after this long"
    )
    cases_callback_window_s: int = Field(
        300, ge=10, le=3600, description="a callback's timestamp must be this close to now"
    )
    cases_email_to: str = Field("", description="the centre's address for emailed cases")
    cases_email_from: str = Field(
        "cases@citizen-feedback.invalid", description="sender of emailed cases"
    )
    cases_smtp_host: str = Field("", description="SMTP server for emailed cases")
    cases_smtp_port: int = Field(587, ge=1, le=65535, description="its port")
    cases_smtp_starttls: bool = Field(True, description="upgrade to TLS with STARTTLS (required)")
    cases_smtp_user: str = Field("", description="SMTP user (empty = no login)")
    cases_smtp_password: str = Field("", description="SMTP password", repr=False)
    cases_smtp_ca: str = Field(
        "", description="CA file to trust for the SMTP server's certificate (empty = system CAs)"
    )
    cases_contact_keys: str = Field(
        "",
        description="AES-256 keys for contacts at rest: id:base64[,id:base64]; the first "
        "seals new contacts, the others still open older ones (rotation)",
        repr=False,
    )
    cases_contact_retention_days: float = Field(
        30, ge=0, description="a closed case's contact is purged this long after closing"
    )
    cases_max_attempts: int = Field(
        12, ge=1, le=1000, description="failed deliveries before a case is dead-lettered"
    )
    cases_backoff_base_s: float = Field(2, gt=0, description="first retry delay (doubles)")
    cases_backoff_max_s: float = Field(3600, gt=0, description="longest retry delay")
    cases_lease_s: float = Field(
        120, gt=0, description="a claimed delivery is retried by another worker after this long"
    )
    cases_interval_s: float = Field(
        2, gt=0, le=3600, description="how often the forwarder looks for due cases"
    )
    cases_batch: int = Field(50, ge=1, le=1000, description="deliveries per forwarder pass")
    cases_concurrency: int = Field(8, ge=1, le=100, description="deliveries in flight at once")
    cases_window_round_min: int = Field(
        15, ge=1, le=240, description="time windows in payloads are widened to this many minutes"
    )

    @field_validator("cases_contact_keys")
    @classmethod
    def _check_keys(cls, value: str) -> str:
        parse_keys(value)
        return value

    @field_validator("cases_webhook_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// on a closed network)")
        return value

    @property
    def contact_keys(self) -> dict[str, bytes]:
        return parse_keys(self.cases_contact_keys)


def transport_problem(settings: CaseSettings) -> str | None:
    """What is missing for the configured transport, as one line naming the variable."""
    s = settings
    if s.cases_transport == "webhook":
        if not s.cases_webhook_url:
            return "CF_CASES_WEBHOOK_URL: needed when CF_CASES_TRANSPORT=webhook"
        if not s.cases_webhook_secret:
            return "CF_CASES_WEBHOOK_SECRET: needed when CF_CASES_TRANSPORT=webhook"
    if s.cases_transport == "email":
        if not s.cases_smtp_host or not s.cases_email_to:
            return "CF_CASES_SMTP_HOST and CF_CASES_EMAIL_TO: needed when CF_CASES_TRANSPORT=email"
        if not s.cases_smtp_starttls:
            return "CF_CASES_SMTP_STARTTLS: cases carry personal data; must be true"
    return None


def load_case_settings() -> CaseSettings:
    try:
        return CaseSettings()
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "CASES_*"
        raise ConfigError(f"CF_{name}: {err['msg'].removeprefix('Value error, ')}") from None


def check_case_settings() -> CaseSettings:
    """Read and check ``CF_CASES_*`` (before the server starts: a bad value is one clear line).
    Light on purpose: ``python -m collector`` calls it before anything starts, and ingest should
    not wait for the transports' imports (httpx, SMTP) to learn a value is wrong."""
    settings = load_case_settings()
    problem = transport_problem(settings)
    if problem:
        raise ConfigError(problem)
    return settings
