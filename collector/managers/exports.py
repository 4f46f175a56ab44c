"""The managers' reports as export tables (the analytics export writes CSV/XLSX of them).

Same figures and the same k-anonymity as the JSON routes: a suppressed group is an empty cell
with ``suppressed`` = yes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from collector.analytics.exports import Table, projection, suppressed_cell
from collector.analytics.filters import DateRange
from collector.managers.breakdown import breakdown, rollup_rows, service_rows
from collector.managers.zero_copy_trend import office_series
from collector.storage import Driver

ManagerReport = Literal["counter", "channel", "service", "zero-copy"]
MANAGER_REPORTS: tuple[str, ...] = get_args(ManagerReport)


async def manager_table(
    driver: Driver,
    report: ManagerReport,
    offices: Mapping[str, str],
    period: DateRange,
    *,
    grain: str,
    k: int,
) -> Table:
    if report == "zero-copy":
        header = ["office_id", "period", "sessions", "sessions_with_copy", "copy_share"]
        rows: list[list[Any]] = []
        for office_id in sorted(offices):
            for p in await office_series(driver, office_id, period, grain, k):
                shown = [p["sessions"], p["sessions_with_copy"], p["copy_share"]]
                rows.append([office_id, p["period"], *shown, suppressed_cell(p["suppressed"])])
        return [*header, "suppressed"], rows
    source = service_rows if report == "service" else rollup_rows
    groups = breakdown(await source(driver, offices, period), report, k)
    keys = {"channel": ["channel"], "counter": ["office_id", "channel", "counter"]}.get(
        report, ["office_id", "service"]
    )
    return projection(
        groups, [*keys, "n", "mean", "negative_share", "verified_share", "suppressed"]
    )
