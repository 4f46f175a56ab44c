"""A period's whole Thai weeks from ``rating_office_weeks`` (migration 10), for the ranking.

Week ``w`` (Monday to Sunday, Thai time) holds days ``7w - 3`` to ``7w + 3`` (day 0, 1970-01-01,
was a Thursday). A period [first, after) of day numbers splits into the whole weeks inside it and
at most two runs of edge days, read from ``rating_office_days``; the sums are the same.
"""

from __future__ import annotations

from collector.storage import Driver, Row


def week_split(first: int, after: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    """([first week, after week) or None, the edge day ranges [start, end) outside them)."""
    week_first, week_after = (first + 9) // 7, (after + 3) // 7
    if week_first >= week_after:
        return None, [(first, after)] if first < after else []
    inner_first, inner_after = 7 * week_first - 3, 7 * week_after - 3
    edges = [(a, b) for a, b in ((first, inner_first), (inner_after, after)) if a < b]
    return (week_first, week_after), edges


async def week_sums(driver: Driver, ids: list[str], weeks: tuple[int, int]) -> list[Row]:
    marks = ", ".join("?" for _ in ids)
    sql = (  # only "?" placeholders are joined in
        "SELECT office_id, sum(n) AS n, sum(total) AS total, sum(verified) AS verified "  # noqa: S608
        f"FROM rating_office_weeks WHERE office_id IN ({marks}) AND week >= ? AND week < ? "
        "GROUP BY office_id"
    )
    return await driver.fetch(sql, *ids, *weeks)


def merged_offices(parts: list[list[Row]]) -> list[Row]:
    """Office rows (office_id, n, total, verified) of several sources summed per office."""
    parts = [rows for rows in parts if rows]  # edge days without ratings (a weekend) add none
    if len(parts) <= 1:
        return parts[0] if parts else []
    sums: dict[str, list[float]] = {}
    for rows in parts:
        for r in rows:
            entry = sums.setdefault(r["office_id"], [0, 0.0, 0])
            entry[0] += int(r["n"])
            entry[1] += float(r["total"])
            entry[2] += int(r["verified"])
    return [
        {"office_id": o, "n": int(n), "total": total, "verified": int(v)}
        for o, (n, total, v) in sums.items()
    ]
