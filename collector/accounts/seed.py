"""The agency hierarchy the collector starts with (``data/agencies.json``, sources inside).

Imported by the schema migration, so this module imports nothing of the collector.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED_FILE = Path(__file__).resolve().parent / "data" / "agencies.json"


def seed_agencies() -> list[dict[str, Any]]:
    doc = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    agencies: list[dict[str, Any]] = doc["agencies"]
    return agencies


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def agency_seed_sql() -> list[str]:
    """One INSERT per seeded agency, as literal SQL that both databases accept."""
    # Literal values from our own data file, quotes doubled: no placeholders in migrations.
    return [
        "INSERT INTO agencies (agency_id, parent_id, level, name_th, name_en, province) "
        + "VALUES ("
        + ", ".join(
            _literal(a.get(k))
            for k in ("agency_id", "parent_id", "level", "name_th", "name_en", "province")
        )
        + ")"
        for a in seed_agencies()
    ]
