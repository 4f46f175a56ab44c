"""CSV (UTF-8 with BOM, so Excel shows Thai) and XLSX (openpyxl) of a report.

The first rows state the report and its filters (and k), then a blank row, the header and the
rows; suppressed cells are empty with ``suppressed`` = yes, exactly as on the page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook

Table = tuple[list[str], list[list[Any]]]


def suppressed_cell(suppressed: bool) -> str:
    """The ``suppressed`` column: ``yes``, or empty where the figures are shown."""
    return "yes" if suppressed else ""


def projection(items: Iterable[Mapping[str, Any]], header: list[str]) -> Table:
    """One row per item with its value for each column of ``header`` (a key of the item)."""
    return header, [
        [suppressed_cell(item[key]) if key == "suppressed" else item[key] for key in header]
        for item in items
    ]


def heatmap_table(cells: list[dict[str, Any]]) -> Table:
    return projection(cells, ["weekday", "hour", "n", "mean", "suppressed"])


def ranking_table(report: dict[str, Any]) -> Table:
    header = ["rank", "office_id", "name", "n", "mean", "verified_share", "score", "suppressed"]
    return projection(report["offices"], header)


def trend_table(points: list[dict[str, Any]]) -> Table:
    return projection(points, ["period", "n", "mean", "verified_share", "suppressed"])


def distribution_table(items: list[dict[str, Any]]) -> Table:
    return projection(items, ["scale", "score", "n", "suppressed"])


def _cell(value: Any) -> Any:
    return "" if value is None else value


def to_csv(filters: Sequence[tuple[str, Any]], table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for name, value in filters:
        writer.writerow([name, _cell(value)])
    writer.writerow([])
    header, rows = table
    writer.writerow(header)
    writer.writerows(rows)  # the csv module writes None as an empty field, as _cell does
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def to_xlsx(filters: Sequence[tuple[str, Any]], table: Table, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for name, value in filters:
        sheet.append([name, _cell(value)])
    sheet.append([])
    header, rows = table
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
