"""Office pin estimation and flags (pure functions)."""

from __future__ import annotations

from collector.config import Settings
from collector.pins import Fix, estimate_gps_pin, pin_flags, provisioned_pin

SETTINGS = Settings(db_url="unused.db")


def gps(lat: float, lon: float, hdop: float | None = 0.8, acc: float | None = 4.0) -> Fix:
    return Fix(lat, lon, "gps", acc, hdop, "3d")


def estimate(fixes: list[Fix]) -> object:
    return estimate_gps_pin(fixes, min_fixes=3, max_hdop=3.0, max_accuracy_m=50)


def test_median_with_outlier_rejected() -> None:
    fixes = [gps(18.0, 99.0), gps(18.00001, 99.00001), gps(17.99999, 98.99999), gps(18.5, 99.5)]
    pin = estimate_gps_pin(fixes, min_fixes=3, max_hdop=3.0, max_accuracy_m=50)
    assert pin is not None
    assert (pin.source, pin.fixes, pin.rejected) == ("gps", 3, 1)
    assert abs(pin.lat - 18.0) < 1e-5
    assert pin.accuracy_m is not None
    assert pin.accuracy_m < 5


def test_quality_filter_and_minimum_fixes() -> None:
    poor = [gps(18.0, 99.0, hdop=8), gps(18.0, 99.0, acc=500), gps(18.0, 99.0, None, None)]
    nofix = [Fix(18.0, 99.0, "gps", 3.0, 0.9, None)]
    assert estimate([*poor, *nofix, gps(18.0, 99.0), gps(18.0, 99.0)]) is None
    assert estimate([gps(18.0, 99.0)] * 3) is not None


def test_provisioned_location_stands_in() -> None:
    fixes = [Fix(18.1, 99.1, "provisioned", 30.0, None, None), gps(18.0, 99.0)]
    pin = provisioned_pin(fixes)
    assert pin is not None
    assert (pin.lat, pin.source, pin.accuracy_m) == (18.1, "provisioned", 30.0)


def office(oid: str, province: str = "Chiang Mai", lat: float | None = None) -> dict:
    return {"office_id": oid, "province": province, "lat": lat, "lon": 98.98 if lat else None}


def test_flags_far_outside_province_and_shared() -> None:
    offices = [
        office("cm-a-dol", lat=18.79),
        office("cm-b-dol", province="เชียงใหม่"),
        office("cm-c-dol"),
        office("bkk-d-dol", province="Nowhere Known"),
    ]
    pins = {
        "cm-a-dol": (18.95, 98.98, "gps", 5.0),  # ~18 km from its registered point
        "cm-b-dol": (13.75, 100.5, "gps", 5.0),  # Bangkok: outside Chiang Mai
        "cm-c-dol": (13.75001, 100.50001, "gps", 5.0),  # shares B's pin
        "bkk-d-dol": (13.0, 100.0, "gps", 5.0),  # unknown province: no box, no flag
    }
    flags = pin_flags(offices, pins, SETTINGS)
    assert flags["cm-a-dol"] == ["far_from_registered"]
    assert flags["cm-b-dol"] == ["outside_province", "shared_pin:cm-c-dol"]
    assert flags["cm-c-dol"] == ["outside_province", "shared_pin:cm-b-dol"]
    assert flags["bkk-d-dol"] == []
