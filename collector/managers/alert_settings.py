"""Per-office threshold alert settings: the rule, the quiet period and where alerts go.

The webhook secret is write-only: reads say whether one is set, never what it is. A webhook URL
must be http(s); with a URL a secret of at least 16 characters is required (the receiver checks
the HMAC signature, ``alert_delivery``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from collector.accounts.people import EMAIL_PATTERN
from collector.storage import Driver, Row


class AlertSettingsIn(BaseModel):
    """An office's alert rule: at least ``min_ratings`` ratings in ``window_minutes`` with a
    share of negative ratings of ``negative_share`` or more; then no alert for ``quiet_minutes``."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    min_ratings: Annotated[int, Field(ge=1, le=10_000)] = 4
    window_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    negative_share: Annotated[float, Field(gt=0, le=1)] = 0.5
    quiet_minutes: Annotated[int, Field(ge=0, le=10_080)] = 60
    email: Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=254)] | None = None
    webhook_url: Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=500)] | None = None
    webhook_secret: Annotated[str, Field(min_length=16, max_length=200)] | None = Field(
        None, validate_default=True
    )

    @field_validator("webhook_secret")
    @classmethod
    def _secret_with_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("webhook_url") and not value:
            raise ValueError("a webhook needs a secret of 16 or more characters")
        return value


def settings_view(office_id: str, row: Row | None) -> dict[str, Any]:
    if row is None:
        return {"office_id": office_id, "configured": False, **_defaults()}
    return {
        "office_id": office_id,
        "configured": True,
        "enabled": bool(row["enabled"]),
        "min_ratings": int(row["min_ratings"]),
        "window_minutes": int(row["window_s"]) // 60,
        "negative_share": float(row["negative_share"]),
        "quiet_minutes": int(row["quiet_s"]) // 60,
        "email": row["email"] or None,
        "webhook_url": row["webhook_url"] or None,
        "webhook_secret_set": bool(row["webhook_secret"]),
    }


def _defaults() -> dict[str, Any]:
    d = AlertSettingsIn()
    return {
        "enabled": False,
        "min_ratings": d.min_ratings,
        "window_minutes": d.window_minutes,
        "negative_share": d.negative_share,
        "quiet_minutes": d.quiet_minutes,
        "email": None,
        "webhook_url": None,
        "webhook_secret_set": False,
    }


async def read_settings(driver: Driver, office_id: str) -> Row | None:
    return await driver.fetchrow(
        "SELECT * FROM office_alert_settings WHERE office_id = ?", office_id
    )


async def write_settings(driver: Driver, office_id: str, new: AlertSettingsIn, who: str) -> None:
    async with driver.transaction() as tx:
        await tx.execute("DELETE FROM office_alert_settings WHERE office_id = ?", office_id)
        await tx.execute(
            "INSERT INTO office_alert_settings (office_id, enabled, min_ratings, window_s, "
            "negative_share, quiet_s, email, webhook_url, webhook_secret, updated_ms, updated_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            office_id,
            int(new.enabled),
            new.min_ratings,
            new.window_minutes * 60,
            new.negative_share,
            new.quiet_minutes * 60,
            new.email or "",
            new.webhook_url or "",
            new.webhook_secret or "",
            int(time.time() * 1000),
            who,
        )
