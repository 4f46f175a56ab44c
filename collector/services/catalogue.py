"""Read the catalogue: services with their documents, the services of an office, office hours."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from collector.errors import NotFoundError
from collector.services.hours import Span
from collector.services.model import WEEKDAYS
from collector.storage import Driver, Row


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def service_summary(row: Row) -> dict[str, Any]:
    return {
        "service_id": row["service_id"],
        "name_th": row["name_th"],
        "name_en": row["name_en"],
        "agency_th": row["agency_th"],
        "fee_thb": row["fee_thb"],
        "duration": row["duration"],
    }


def _document(row: Row) -> dict[str, Any]:
    return {
        "position": row["position"],
        "name_th": row["name_th"],
        "name_en": row["name_en"],
        "issuer": row["issuer"],
        "originals": row["originals"],
        "copies": row["copies"],
        "copy_required": _bool(row["copy_required"]),
        "notes": row["notes"],
    }


async def list_services(driver: Driver, *, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await driver.fetch(
        "SELECT * FROM services ORDER BY service_id LIMIT ? OFFSET ?", limit, offset
    )
    return [service_summary(r) for r in rows]


async def get_service(driver: Driver, service_id: str) -> dict[str, Any]:
    row = await driver.fetchrow("SELECT * FROM services WHERE service_id = ?", service_id)
    if row is None:
        raise NotFoundError(f"service {service_id!r} is not in the catalogue")
    documents = await driver.fetch(
        "SELECT * FROM service_documents WHERE service_id = ? ORDER BY position", service_id
    )
    offices = await driver.fetchval(
        "SELECT count(*) FROM office_services WHERE service_id = ?", service_id
    )
    return {
        **service_summary(row),
        "agency_en": row["agency_en"],
        "legal_basis": row["legal_basis"],
        "conditions": row["conditions"],
        "steps": json.loads(row["steps"]),
        "duration_minutes": row["duration_minutes"],
        "fee_text": row["fee_text"],
        "documents": [_document(d) for d in documents],
        "forms": json.loads(row["forms"]),
        "complaint_channels": json.loads(row["complaint_channels"]),
        "source": json.loads(row["sources"]),
        "notes": row["notes"],
        "offices": int(offices or 0),
        "updated_ms": row["updated_ms"],
    }


async def office_services(driver: Driver, office_id: str) -> list[dict[str, Any]]:
    """The services an office offers, each with its counters and declared copy demands."""
    rows = await driver.fetch(
        "SELECT s.*, o.counters, o.copies_demanded, o.copies_made_free FROM office_services o "
        "JOIN services s ON s.service_id = o.service_id WHERE o.office_id = ? "
        "ORDER BY s.name_th",
        office_id,
    )
    return [
        {
            **service_summary(r),
            "counters": json.loads(r["counters"]),
            "copies_demanded": json.loads(r["copies_demanded"]),
            "copies_made_free": _bool(r["copies_made_free"]),
        }
        for r in rows
    ]


async def hours_of(driver: Driver, office_ids: Sequence[str]) -> dict[tuple[str, str], list[Span]]:
    """``(office_id, service_id)`` to spans; service ``""`` holds the office-wide hours."""
    if not office_ids:
        return {}
    marks = ", ".join("?" for _ in office_ids)
    rows = await driver.fetch(
        "SELECT office_id, service_id, weekday, opens_min, closes_min FROM office_hours "  # noqa: S608
        f"WHERE office_id IN ({marks}) ORDER BY weekday, opens_min",
        *office_ids,
    )
    out: dict[tuple[str, str], list[Span]] = {}
    for r in rows:
        out.setdefault((r["office_id"], r["service_id"]), []).append(
            (int(r["weekday"]), int(r["opens_min"]), int(r["closes_min"]))
        )
    return out


def spans_for(
    hours: dict[tuple[str, str], list[Span]], office_id: str, service_id: str
) -> list[Span]:
    """A service's own hours at an office, else the office's hours."""
    return hours.get((office_id, service_id)) or hours.get((office_id, ""), [])


def hours_table(spans: Sequence[Span]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {d: [] for d in WEEKDAYS}
    for weekday, opens, closes in spans:
        table[WEEKDAYS[weekday]].append(
            f"{opens // 60:02d}:{opens % 60:02d}-{closes // 60:02d}:{closes % 60:02d}"
        )
    return table
