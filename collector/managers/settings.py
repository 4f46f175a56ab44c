"""Settings of the managers' alerts (``CF_*``, like the rest of the collector)."""

from __future__ import annotations

from pydantic import Field

from collector.part_settings import PartSettings


class ManagerSettings(PartSettings):
    alert_check_interval_s: float = Field(
        60, gt=0, le=3600, description="how often office alert rules are checked and delivered"
    )
    alert_max_attempts: int = Field(
        5, ge=1, le=100, description="delivery attempts per alert and channel before giving up"
    )
    alert_webhook_timeout_s: float = Field(10, gt=0, le=120, description="webhook timeout")
