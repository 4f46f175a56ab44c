"""Feedback settings (``CF_FEEDBACK_*``, ``CF_QR_*``), apart from the core settings model.

Like the account settings, kept out of :class:`collector.config.Settings` so this part plugs in
without touching what every other part reads. Each field is one ``CF_<NAME>`` variable.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator

from collector.errors import ConfigError
from collector.part_settings import PartSettings, PublicUrl


class FeedbackSettings(PartSettings):
    feedback_secret: str = Field(
        "",
        repr=False,
        description="master secret of the QR signing keys (32+ characters); each key id's key "
        "is HMAC-SHA256(secret, key id). Empty: a random secret is made once and kept in the "
        "database (fine for one site; set it explicitly where several collectors share a DB)",
    )
    feedback_secret_file: Path | None = Field(
        None, description="read the master secret from this file instead (wins over the value)"
    )
    public_url: PublicUrl = Field(
        "http://127.0.0.1:8080", description="the address citizens open; QR links start with it"
    )
    qr_token_ttl_days: int = Field(
        1095, ge=1, description="a printed QR code is valid this long (then: reprint)"
    )
    qr_key_grace_days: int = Field(
        90, ge=0, description="after a key rotation, codes signed with the old key still work"
    )
    feedback_client_limit: str = Field(
        "20/minute;60/hour",
        description="submissions one client address may make (limits syntax; mobile networks "
        "put many phones behind one address, so keep it generous)",
    )
    feedback_counter_limit: str = Field(
        "60/hour", description="submissions one counter's QR code may take"
    )
    feedback_comment_max: int = Field(2000, ge=50, le=10000, description="characters per comment")
    feedback_dedupe_window_s: int = Field(
        600,
        ge=0,
        description="the same text from the same client and counter within this "
        "window returns the first reference instead of storing a second comment",
    )
    rate_limit_storage: str = Field(
        "memory://", description="storage URI of the `limits` library (shared with accounts)"
    )

    @field_validator("feedback_secret")
    @classmethod
    def _check_secret(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("must be at least 32 characters")
        return value


def load_feedback_settings() -> FeedbackSettings:
    """The settings from the environment; a bad value is one ConfigError line naming it."""
    try:
        return FeedbackSettings()
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = "CF_" + str(err["loc"][0]).upper() if err["loc"] else "CF_FEEDBACK_*"
        raise ConfigError(f"{name}: {err['msg']}") from None
