"""What the analytics page shows for one chosen office: services, zero copy per week, alert
settings (and the settings form's parsing)."""

from __future__ import annotations

import contextlib
from typing import Any

from collector.analytics.filters import DateRange
from collector.managers.alert_settings import AlertSettingsIn, read_settings, settings_view
from collector.managers.breakdown import breakdown, service_rows
from collector.managers.zero_copy_trend import office_series
from collector.storage import Driver, Row

SETTINGS_FIELDS = (
    "min_ratings",
    "window_minutes",
    "negative_share",
    "quiet_minutes",
    "email",
    "webhook_url",
    "webhook_secret",
)


async def office_detail(
    driver: Driver, office_id: str, period: DateRange, k: int
) -> dict[str, Any]:
    return {
        "services": breakdown(await service_rows(driver, [office_id], period), "service", k),
        "zero_copy": await office_series(driver, office_id, period, "week", k),
        "settings": settings_view(office_id, await read_settings(driver, office_id)),
    }


def settings_from_form(raw: dict[str, str], enabled: bool, stored: Row | None) -> AlertSettingsIn:
    """The form's text fields as settings; the share is typed in percent; an empty secret keeps
    the stored one. Raises ``ValidationError`` naming the field."""
    values: dict[str, Any] = {"enabled": enabled}
    for key in SETTINGS_FIELDS:
        if raw.get(key):
            values[key] = raw[key]
    if "negative_share" in values:
        with contextlib.suppress(ValueError):  # left as text: the model names the field
            values["negative_share"] = float(values["negative_share"]) / 100
    if "webhook_secret" not in values and stored is not None and stored["webhook_secret"]:
        values["webhook_secret"] = stored["webhook_secret"]
    return AlertSettingsIn.model_validate(values)
