"""An office's counters (from its registered devices) and each counter's rating scale."""

from __future__ import annotations

from collector.storage import Driver


async def counter_scale(driver: Driver, office_id: str, counter_label: str) -> int:
    """The counter's rating scale: that of its buttons' latest rating (5 if none yet)."""
    row = await driver.fetchrow(
        "SELECT r.scale FROM rating_rollups r JOIN devices d ON d.device_id = r.device_id "
        "WHERE r.office_id = ? AND d.office_id = ? AND d.counter_label = ? "
        "ORDER BY r.hour_ms DESC LIMIT 1",
        office_id,
        office_id,
        counter_label,
    )
    scale = int(row["scale"]) if row else 5
    return scale if scale in (3, 4, 5) else 5


async def office_counters(driver: Driver, office_id: str) -> list[str]:
    rows = await driver.fetch(
        "SELECT DISTINCT counter_label FROM devices WHERE office_id = ? AND counter_label <> '' "
        "ORDER BY counter_label",
        office_id,
    )
    return [str(r["counter_label"]) for r in rows]
