"""Build the offline base map: province and district boundaries of Thailand with their names.

Input: ``th_adm1.geojson`` and ``th_adm2.geojson`` from GitHub ``piyayut-ch/mapthai``
(``data-raw/geojson/``, MIT; HDX COD-AB Thailand, Royal Thai Survey Department 2019, CC BY-IGO).
Output: ``collector/web/static/basemap/thailand-boundaries.json`` with two FeatureCollections
(``provinces``, ``districts``), each feature carrying ``name_th``, ``name_en``, ``pcode`` and a
``label`` point, simplified (Douglas-Peucker) and rounded so the file stays small.

    python scripts/make_basemap.py DIR_WITH_GEOJSON [--tolerance 0.004]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "collector" / "web" / "static" / "basemap" / "thailand-boundaries.json"
Point = tuple[float, float]
MIN_ISLAND_AREA = 2e-4  # square degrees, about 2.4 km2


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return math.hypot(x - x1, y - y1)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy))


def simplify(ring: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker on a closed ring (iterative); keeps at least a triangle."""
    if len(ring) <= 4:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    far = max(
        range(len(ring)), key=lambda i: math.hypot(ring[i][0] - ring[0][0], ring[i][1] - ring[0][1])
    )
    keep[far] = True
    stack = [(0, far), (far, len(ring) - 1)]
    while stack:
        start, end = stack.pop()
        best, index = 0.0, -1
        for i in range(start + 1, end):
            d = _segment_distance(ring[i], ring[start], ring[end])
            if d > best:
                best, index = d, i
        if index >= 0 and best > tolerance:
            keep[index] = True
            stack.extend([(start, index), (index, end)])
    out = [p for p, k in zip(ring, keep, strict=True) if k]
    return out if len(out) >= 4 else [*ring[:: max(1, len(ring) // 4)], ring[0]]


def _area_centroid(ring: list[Point]) -> tuple[float, Point]:
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if area == 0:
        return 0.0, ring[0]
    return abs(area) / 2, (cx / (3 * area), cy / (3 * area))


def _polygons(geometry: dict[str, Any]) -> list[list[list[Point]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def convert(features: list[dict[str, Any]], level: str, tolerance: float) -> dict[str, Any]:
    out = []
    for f in features:
        props = f["properties"]
        polygons: list[list[list[list[float]]]] = []
        largest: tuple[float, Point] = (-1.0, (0.0, 0.0))
        for polygon in sorted(_polygons(f["geometry"]), key=lambda p: -_area_centroid(p[0])[0]):
            outer = [(float(x), float(y)) for x, y in polygon[0]]
            area, centre = _area_centroid(outer)
            if polygons and area < MIN_ISLAND_AREA:
                continue  # small islands of a multi-part area: invisible at base-map zooms
            largest = max(largest, (area, centre))
            ring = simplify(outer, tolerance)
            if len(ring) >= 4:
                polygons.append([[[round(x, 4), round(y, 4)] for x, y in ring]])
        out.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                "properties": {
                    "pcode": props[f"{level}_PCODE"],
                    "name_th": props[f"{level}_TH"],
                    "name_en": props[f"{level}_EN"],
                    "label": [round(largest[1][0], 4), round(largest[1][1], 4)],
                },
            }
        )
    return {"type": "FeatureCollection", "features": out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder with th_adm1.geojson, th_adm2.geojson")
    parser.add_argument("--tolerance", type=float, default=0.004, help="degrees (~400 m)")
    args = parser.parse_args()
    try:
        adm1 = json.loads((args.source / "th_adm1.geojson").read_text(encoding="utf-8"))
        adm2 = json.loads((args.source / "th_adm2.geojson").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"make_basemap: {exc}", file=sys.stderr)
        return 1
    data = {
        "source": "HDX COD-AB Thailand (Royal Thai Survey Department, 2019) via piyayut-ch/mapthai",
        "provinces": convert(adm1["features"], "ADM1", args.tolerance * 1.5),
        "districts": convert(adm2["features"], "ADM2", args.tolerance),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
