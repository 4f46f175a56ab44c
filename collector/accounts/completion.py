"""Ops' view of the programme's progress: per province and agency, offices pinned and surveyed.

Pinned is the effective pin's source (gps, manual, provisioned, or none); surveyed means at least
one submitted survey. With a deadline (``CF_SURVEY_DEADLINE``) the offices without a submission
after it are listed as late, as the programme's letter tracked them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from collector.pins import effective_pin
from collector.storage import Driver

BANGKOK = timezone(timedelta(hours=7))


async def completion(
    driver: Driver, deadline: date | None, today: date | None = None
) -> dict[str, Any]:
    offices = await driver.fetch("SELECT * FROM offices ORDER BY province, agency, office_id")
    pins = {r["office_id"]: r for r in await driver.fetch("SELECT * FROM office_pins")}
    submitted = {
        r["office_id"]: r["first_ms"]
        for r in await driver.fetch(
            "SELECT office_id, min(created_ms) AS first_ms FROM survey_versions "
            "WHERE status = 'submitted' GROUP BY office_id"
        )
    }
    today = today or datetime.now(BANGKOK).date()
    overdue = deadline is not None and today > deadline
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    late: list[dict[str, str]] = []
    for o in offices:
        key = (o["province"] or "", o["agency"] or "")
        g = groups.setdefault(
            key,
            {
                "province": key[0],
                "agency": key[1],
                "offices": 0,
                "surveyed": 0,
                "pinned": {"gps": 0, "manual": 0, "provisioned": 0, "none": 0},
            },
        )
        g["offices"] += 1
        pin = effective_pin(o, pins.get(o["office_id"]))
        source = pin[2] if pin else "none"
        g["pinned"][source if source in g["pinned"] else "provisioned"] += 1
        if o["office_id"] in submitted:
            g["surveyed"] += 1
        elif overdue:
            late.append(
                {
                    "office_id": o["office_id"],
                    "name_th": o["name_th"],
                    "province": key[0],
                    "agency": key[1],
                }
            )
    return {
        "deadline": deadline.isoformat() if deadline else None,
        "today": today.isoformat(),
        "groups": list(groups.values()),
        "late": late,
    }
