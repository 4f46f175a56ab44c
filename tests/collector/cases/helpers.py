"""Shared by the case tests: open cases directly (no feedback form), settings, a movable clock."""

from __future__ import annotations

from typing import Any

from collector.cases import CaseContact, open_case
from collector.cases.settings import CaseSettings
from collector.storage import Driver
from tests.fixtures.centre import CENTRE_SECRET, FakeCentre

T0 = 1_780_000_000_000  # a fixed "now" of the forwarder's clock (epoch ms)
PSEUDONYM = "cf2:5f1e0c3a9b7d4e2f8a6c1b0d9e8f7a6b"  # a visitor pseudonym that must never leave


class Clock:
    def __init__(self, ms: int = T0) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


async def open_cases(
    driver: Driver,
    n: int,
    *,
    prefix: str = "cm",
    contact: CaseContact | None = None,
    now_ms: int = T0,
) -> list[str]:
    ids = []
    async with driver.transaction() as tx:
        for i in range(n):
            ids.append(
                await open_case(
                    tx,
                    comment_id=f"{prefix}-{i}",
                    office_id="OFF-BKK-01" if i % 2 == 0 else "OFF-CNX-01",
                    counter_label=str(1 + i % 5),
                    category=("delay", "staff_conduct", "copy_or_fee", "other")[i % 4],
                    text=f"เรื่องร้องเรียนทดสอบ {i}: รอนาน [ลบข้อมูลส่วนบุคคล]",
                    window_start_ms=now_ms - 7 * 60_000 - 1234,
                    window_end_ms=now_ms - 1234,
                    contact=contact,
                    now_ms=now_ms,
                )
            )
    return ids


def webhook_settings(centre: FakeCentre, **extra: Any) -> CaseSettings:
    values: dict[str, Any] = {
        "cases_transport": "webhook",
        "cases_webhook_url": centre.cases_url,
        "cases_webhook_secret": CENTRE_SECRET,
        "cases_webhook_timeout_s": 1.0,
        "cases_max_attempts": 5,
        "cases_backoff_base_s": 1,
        "cases_backoff_max_s": 60,
        "cases_lease_s": 30,
    }
    values.update(extra)
    return CaseSettings(**values)
