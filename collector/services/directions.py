"""Links that take a citizen to a pin: a ``geo:`` URI and OpenStreetMap, Google Maps, Longdo Map."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def _c(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def directions(
    lat: float, lon: float, label: str = "", origin: tuple[float, float] | None = None
) -> dict[str, str]:
    """Directions to ``(lat, lon)``, from ``origin`` when known (else the app's own position)."""
    here = f"{_c(lat)},{_c(lon)}"
    geo = f"geo:{here}?q={here}" + (f"({quote(label, safe='')})" if label else "")
    if origin is not None:
        osm = "https://www.openstreetmap.org/directions?" + urlencode(
            {"engine": "fossgis_osrm_car", "route": f"{_c(origin[0])},{_c(origin[1])};{here}"}
        )
    else:
        osm = (
            "https://www.openstreetmap.org/?"
            + urlencode({"mlat": _c(lat), "mlon": _c(lon)})
            + f"#map=17/{_c(lat)}/{_c(lon)}"
        )
    google = {"api": "1", "destination": here}
    if origin is not None:
        google["origin"] = f"{_c(origin[0])},{_c(origin[1])}"
    return {
        "geo": geo,
        "openstreetmap": osm,
        "google_maps": "https://www.google.com/maps/dir/?" + urlencode(google),
        "longdo_map": "https://map.longdo.com/?"
        + urlencode({"lat": _c(lat), "long": _c(lon), "zoom": "17"}),
    }
