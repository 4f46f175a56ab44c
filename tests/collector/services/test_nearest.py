"""Nearest offices offering a service, checked against distances computed here independently."""

from __future__ import annotations

import datetime as dt
import json
import math
from urllib.parse import parse_qs, urlparse

from collector.pins import set_manual_pin
from collector.services.nearest import nearest
from collector.services.reader import read_catalogue
from collector.services.store import import_catalogue
from collector.storage import Driver
from tests.collector.services.conftest import OFFICES


def cosine_law_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Spherical law of cosines (a different formula from the collector's haversine)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6_371_008.8 * math.acos(max(-1.0, min(1.0, c)))


async def _offer(driver: Driver, service: str, offices: list[str]) -> None:
    doc = {
        "office_hours": [{"office_id": o, "hours": {"mon": ["08:30-16:30"]}} for o in offices],
        "offerings": [{"office_id": o, "service_id": service} for o in offices],
    }
    await import_catalogue(driver, read_catalogue(json.dumps(doc).encode(), "o.json"))


async def test_nearest_by_distance_with_links_and_open_state(loaded: Driver) -> None:
    await _offer(loaded, "death-registration", ["cm-san-sai-dol", "cm-hang-dong-dol"])
    here = (18.80, 99.00)  # near Chiang Mai old city
    monday_10 = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)
    found = await nearest(loaded, *here, service_id="death-registration", now=monday_10)
    assert [f["office_id"] for f in found] == ["cm-san-sai-dol", "cm-hang-dong-dol"]
    coords = {o[0]: (o[3], o[4]) for o in OFFICES}
    for f in found:
        expected = cosine_law_m(*here, *coords[f["office_id"]])
        assert abs(f["distance_m"] - expected) < 1.0
        assert f["open_now"] is True
        assert f["pin"]["source"] == "provisioned"
    first = found[0]
    lat, lon = first["pin"]["lat"], first["pin"]["lon"]
    assert first["directions"]["geo"].startswith(f"geo:{lat},{lon}?q={lat},{lon}(")
    google = parse_qs(urlparse(first["directions"]["google_maps"]).query)
    assert google["destination"] == [f"{lat},{lon}"]
    assert google["origin"] == ["18.8,99"]
    osm = parse_qs(urlparse(first["directions"]["openstreetmap"]).query)
    assert osm["route"] == [f"18.8,99;{lat},{lon}"]
    longdo = parse_qs(urlparse(first["directions"]["longdo_map"]).query)
    assert (longdo["lat"], longdo["long"]) == ([str(lat)], [str(lon)])
    # all offices, a manual pin moves one; limit keeps the closest
    await set_manual_pin(loaded, "cm-hang-dong-dol", 18.8001, 99.0001, 5.0)
    [closest] = await nearest(loaded, *here, limit=1, now=monday_10)
    assert closest["office_id"] == "cm-hang-dong-dol"
    assert closest["pin"]["source"] == "manual"
    assert closest["pin"]["accuracy_m"] == 5.0
    assert closest["open_now"] is True  # the office-wide hours
    [mueang] = [
        f for f in await nearest(loaded, *here, now=monday_10) if "mueang" in f["office_id"]
    ]
    assert mueang["open_now"] is None  # no hours known


async def test_far_points_widen_the_search(loaded: Driver) -> None:
    found = await nearest(loaded, -33.86, 151.2, limit=3)  # Sydney: all three, ~8,050 km
    assert len(found) == 3
    assert all(7_900_000 < f["distance_m"] < 8_200_000 for f in found)
    distances = [f["distance_m"] for f in found]
    assert distances == sorted(distances)
    assert await nearest(loaded, 18.8, 99.0, service_id="marriage-registration") == []
