"""The body sent to the centre (schema/complaint-v1.json): built from the case, its office and,
only when the citizen consented, its contact. The time window is widened to whole steps of
``CF_CASES_WINDOW_ROUND_MIN`` minutes, so the exact moment of a visit never leaves the collector.
The visitor pseudonym is not in the case at all, so it cannot reach the payload.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from collector.cases.model import CaseContact
from collector.storage import Driver, Row

SCHEMA_NAME = "complaint-v1"


def load_schema() -> dict[str, Any]:
    text = resources.files("collector.cases").joinpath("schema/complaint-v1.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def rounded_window(start_ms: int, end_ms: int, step_min: int) -> tuple[int, int]:
    """``[start, end]`` widened outwards to multiples of ``step_min`` minutes."""
    step = step_min * 60_000
    low = (start_ms // step) * step
    high = -(-end_ms // step) * step
    return low, max(high, low + step)


async def office_of(driver: Driver, office_id: str) -> Row:
    """Office name, province and pin (the computed pin, else its registered location)."""
    row = await driver.fetchrow(
        "SELECT o.office_id, o.name_th, o.name_en, o.province, o.lat AS reg_lat, "
        "o.lon AS reg_lon, p.lat, p.lon, p.source FROM offices o "
        "LEFT JOIN office_pins p ON p.office_id = o.office_id WHERE o.office_id = ?",
        office_id,
    )
    return row or {"office_id": office_id, "name_th": "", "name_en": "", "province": ""}


def build_payload(
    case: Row, office: Row, contact: CaseContact | None, *, round_min: int
) -> dict[str, Any]:
    pin: dict[str, Any] | None = None
    if office.get("lat") is not None and office.get("lon") is not None:
        pin = {"lat": office["lat"], "lon": office["lon"], "source": office["source"]}
    elif office.get("reg_lat") is not None and office.get("reg_lon") is not None:
        pin = {"lat": office["reg_lat"], "lon": office["reg_lon"], "source": "registered"}
    low, high = rounded_window(case["window_start_ms"], case["window_end_ms"], round_min)
    payload: dict[str, Any] = {
        "schema": SCHEMA_NAME,
        "case_id": case["case_id"],
        "idempotency_key": case["idempotency_key"],
        "office": {
            "office_id": case["office_id"],
            "name_th": office.get("name_th") or "",
            "name_en": office.get("name_en") or "",
            "province": office.get("province") or "",
            "pin": pin,
        },
        "counter": case["counter_label"],
        "category": case["category"],
        "text": case["body"],
        "window": {"from": _iso(low), "to": _iso(high), "rounded_to_minutes": round_min},
    }
    if contact is not None:
        payload["contact"] = {"kind": contact.kind, "value": contact.value, "consent": True}
    return payload


def encode(payload: dict[str, Any]) -> bytes:
    """Canonical bytes (sorted keys, UTF-8): the exact bytes that are signed and sent."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
