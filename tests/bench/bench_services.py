"""Benchmark: search and nearest over 60,000 offices and 5,000 services, through the HTTP API.

Builds a database (SQLite by default, ``--postgres URL`` for an empty PostgreSQL database) with
generated offices spread over Thailand, generated Thai/English service names and 10 services per
office, serves the real app with uvicorn on loopback, and times:

- search: random 2-4 syllable Thai fragments and English words, ``GET /api/v1/services/search``;
- nearest: random points in Thailand with a random service, ``GET /api/v1/nearest?limit=10``;

each printed (p50, p95, max) beside a plain SQL query of the same result in the same run (FTS5
MATCH / LIKE + similarity for search; a full-scan haversine ORDER BY for nearest), whose ids are
checked equal to the API's. No timing is asserted.

    .venv/bin/python tests/bench/bench_services.py [--offices 60000] [--services 5000]
        [--queries 200] [--postgres postgresql://postgres@127.0.0.1/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx
import uvicorn

from collector.api.app import create_app
from collector.config import Settings
from collector.services.search import terms_of
from collector.storage import Driver, open_driver
from tests.fixtures.ports import free_port

SYLLABLES = [
    "บัตร",
    "ทะเบียน",
    "บ้าน",
    "ย้าย",
    "เข้า",
    "ออก",
    "สมรส",
    "หย่า",
    "เกิด",
    "ตาย",
    "ชื่อ",
    "สกุล",
    "ที่ดิน",
    "ภาษี",
    "อาคาร",
    "ป้าย",
    "สุรา",
    "ยาสูบ",
    "โรงแรม",
    "ร้าน",
    "อาหาร",
    "น้ำ",
    "ไฟ",
    "ถนน",
    "สวน",
    "ป่า",
    "นา",
    "ไร่",
    "วัด",
    "ตลาด",
    "เงิน",
    "ทุน",
    "ผู้สูงอายุ",
    "พิการ",
    "เด็ก",
    "เยาวชน",
    "แรงงาน",
    "ประกัน",
    "สังคม",
    "ใบ",
    "อนุญาต",
    "รับรอง",
    "สำเนา",
    "คำขอ",
    "แจ้ง",
    "ตรวจ",
    "โอน",
]
WORDS = [
    "card",
    "house",
    "move",
    "birth",
    "death",
    "name",
    "land",
    "tax",
    "building",
    "sign",
    "permit",
    "shop",
    "food",
    "water",
    "road",
    "garden",
    "market",
    "fund",
    "elderly",
    "disability",
    "child",
    "labour",
    "insurance",
    "licence",
    "certificate",
]
HAVERSINE = (
    "2 * 6371008.8 * asin(sqrt(power(sin(radians(COALESCE(p.lat, o.lat) - ?) / 2), 2) + "
    "cos(radians(?)) * cos(radians(COALESCE(p.lat, o.lat))) * "
    "power(sin(radians(COALESCE(p.lon, o.lon) - ?) / 2), 2)))"
)


def name_th(rng: random.Random, parts: int) -> str:
    return "การ" + "".join(rng.choice(SYLLABLES) for _ in range(parts))


async def build(driver: Driver, offices: int, services: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    now = int(time.time() * 1000)
    service_rows = [
        (
            f"svc-{i:05d}",
            name_th(rng, rng.randint(2, 5)),
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))).capitalize(),
            "หน่วยงานทดสอบ",
            now,
            now,
        )
        for i in range(services)
    ]
    office_rows = [
        (
            f"bench-{i:06d}",
            "ที่ว่าการ" + name_th(rng, 2),
            f"Office {i}",
            "Bench",
            round(rng.uniform(5.7, 20.4), 5),
            round(rng.uniform(97.4, 105.6), 5),
            now,
            now,
        )
        for i in range(offices)
    ]
    offers = {(o[0], f"svc-{rng.randrange(services):05d}") for o in office_rows for _ in range(10)}
    async with driver.transaction() as tx:
        await tx.insert_ignore(
            "services",
            [
                ("service_id", "text"),
                ("name_th", "text"),
                ("name_en", "text"),
                ("agency_th", "text"),
                ("created_ms", "bigint"),
                ("updated_ms", "bigint"),
            ],
            service_rows,
        )
        await tx.insert_ignore(
            "offices",
            [
                ("office_id", "text"),
                ("name_th", "text"),
                ("name_en", "text"),
                ("agency", "text"),
                ("lat", "float8"),
                ("lon", "float8"),
                ("created_ms", "bigint"),
                ("updated_ms", "bigint"),
            ],
            office_rows,
        )
        await tx.insert_ignore(
            "office_services",
            [("office_id", "text"), ("service_id", "text"), ("updated_ms", "bigint")],
            [(o, s, now) for o, s in sorted(offers)],
        )
    if driver.dialect == "postgres":
        await driver.fetch("ANALYZE")
    return [r[1] for r in service_rows]


async def sql_search(driver: Driver, query: str) -> list[str]:
    """The search of the API in one plain SQL statement (services only, first 20)."""
    terms = terms_of(query)
    if driver.dialect == "sqlite":
        long_terms = " ".join('"' + t.replace('"', '""') + '"' for t in terms if len(t) >= 3)
        rows = await driver.fetch(
            "SELECT ref FROM catalogue_fts WHERE kind = 'service' AND catalogue_fts MATCH ? "
            "ORDER BY bm25(catalogue_fts), ref LIMIT 20",
            long_terms,
        )
    else:
        expr = "lower(name_th || ' ' || name_en || ' ' || agency_th)"
        likes = " AND ".join(f"{expr} LIKE ?" for _ in terms)
        rows = await driver.fetch(
            f"SELECT service_id AS ref FROM services WHERE {likes} "  # noqa: S608
            f"ORDER BY similarity({expr}, ?) DESC, service_id LIMIT 20",
            *(f"%{t}%" for t in terms),
            " ".join(terms),
        )
    return [r["ref"] for r in rows]


async def sql_nearest(driver: Driver, lat: float, lon: float, service: str) -> list[str]:
    rows = await driver.fetch(
        f"SELECT o.office_id, {HAVERSINE} AS d FROM offices o "  # noqa: S608
        "JOIN office_services s ON s.office_id = o.office_id AND s.service_id = ? "
        "LEFT JOIN office_pins p ON p.office_id = o.office_id "
        "WHERE COALESCE(p.lat, o.lat) IS NOT NULL ORDER BY d, o.office_id LIMIT 10",
        lat,
        lat,
        lon,
        service,
    )
    return [r["office_id"] for r in rows]


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"p50 {statistics.median(ms):7.2f} ms  p95 {p95:7.2f} ms  max {ms[-1]:7.2f} ms"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=60_000)
    parser.add_argument("--services", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database to use")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-services-"))
    db = args.postgres or str(workdir / "bench.db")
    settings = Settings(db_url=db)  # type: ignore[call-arg]

    async def prepare() -> list[str]:
        driver = await open_driver(settings)
        try:
            t0 = time.perf_counter()
            names = await build(driver, args.offices, args.services, args.seed)
            print(
                f"built {args.offices} offices, {args.services} services in "
                f"{time.perf_counter() - t0:.1f} s ({driver.dialect})"
            )
            return names
        finally:
            await driver.close()

    names = asyncio.run(prepare())
    rng = random.Random(args.seed + 1)
    queries = []
    for _ in range(args.queries):
        if rng.random() < 0.8:
            name = rng.choice(names)[3:]
            start = rng.randrange(max(1, len(name) - 6))
            queries.append(name[start : start + rng.randint(4, 9)])
        else:
            queries.append(rng.choice(WORDS))
    points = [
        (rng.uniform(6, 20), rng.uniform(98, 105), f"svc-{rng.randrange(args.services):05d}")
        for _ in range(args.queries)
    ]

    app = create_app(settings, ingest=False)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}/api/v1"
    loop = asyncio.new_event_loop()

    async def sql_driver() -> Driver:
        return await open_driver(settings, run_migrations=False)

    driver = loop.run_until_complete(sql_driver())
    mismatches = 0
    try:
        with httpx.Client(timeout=30) as http:
            api_s, sql_s, api_n, sql_n = [], [], [], []
            for q in queries:
                dt, answer = timed(
                    lambda q=q: http.get(
                        f"{base}/services/search", params={"q": q, "kind": "service", "limit": 20}
                    ).json()
                )
                api_s.append(dt)
                dt, plain = timed(lambda q=q: loop.run_until_complete(sql_search(driver, q)))
                sql_s.append(dt)
                mismatches += [h["id"] for h in answer["items"]] != plain
            for lat, lon, svc in points:
                dt, answer = timed(
                    lambda lat=lat, lon=lon, svc=svc: http.get(
                        f"{base}/nearest",
                        params={"lat": lat, "lon": lon, "service_id": svc, "limit": 10},
                    ).json()
                )
                api_n.append(dt)
                dt, plain = timed(
                    lambda lat=lat, lon=lon, svc=svc: loop.run_until_complete(
                        sql_nearest(driver, lat, lon, svc)
                    )
                )
                sql_n.append(dt)
                mismatches += [i["office_id"] for i in answer["items"]] != plain
    finally:
        loop.run_until_complete(driver.close())
        server.should_exit = True
        thread.join(timeout=10)
    print(f"search  via HTTP API   {percentiles(api_s)}")
    print(f"search  plain SQL      {percentiles(sql_s)}")
    print(f"nearest via HTTP API   {percentiles(api_n)}")
    print(f"nearest plain SQL scan {percentiles(sql_n)}")
    print(f"{len(queries) + len(points)} queries, {mismatches} answers differing from plain SQL")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
