"""Thai government public holidays (collector/data/holidays-th.json, source and doubts inside)."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

HOLIDAY_FILE = Path(__file__).resolve().parent.parent / "data" / "holidays-th.json"


@lru_cache(maxsize=1)
def holidays() -> dict[dt.date, tuple[str, str]]:
    """Date to ``(name_th, name_en)``; the file covers B.E. 2569-2570 (2026-2027)."""
    data = json.loads(HOLIDAY_FILE.read_text(encoding="utf-8"))
    return {
        dt.date.fromisoformat(h["date"]): (h["name_th"], h["name_en"]) for h in data["holidays"]
    }


def covered_years() -> set[int]:
    return {d.year for d in holidays()}
