"""Province bounding boxes (data in ``collector/data/provinces.json``), to flag misplaced pins."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "provinces.json"


@dataclass(frozen=True, slots=True)
class ProvinceBox:
    slug: str
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max


@lru_cache(maxsize=1)
def _boxes() -> dict[str, ProvinceBox]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    by_name: dict[str, ProvinceBox] = {}
    for slug, entry in raw.items():
        if slug.startswith("_"):
            continue
        box = ProvinceBox(slug, *entry["lat"], *entry["lon"])
        for name in [slug, *entry["names"]]:
            by_name[name.strip().lower()] = box
    return by_name


def province_box(name: str) -> ProvinceBox | None:
    """The box for an office's ``province`` field (English, Thai or code), if known."""
    return _boxes().get(name.strip().lower()) if name else None
