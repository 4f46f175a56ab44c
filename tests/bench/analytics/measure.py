"""Timing the analytics endpoints (heat map of one office and of all, ranking, ranking export)
for the last 30 days of the generated year, each beside the same figure by plain SQL over the
raw events, whose answers must agree with the API's (cells under k = 5 suppressed)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from collector.config import Settings
from collector.storage import open_driver
from tests.bench.analytics.baseline import plain_heatmap, plain_ranking
from tests.bench.analytics.generate import DAY_MS, START_MS, WEEKS
from tests.bench.analytics.server import start_app

TARGET_MS = 100.0
K_ANONYMITY = 5
# The last 30 days of the generated year (Thai dates).
END_MS = START_MS + WEEKS * 7 * DAY_MS
START_OF_PERIOD_MS = END_MS - 30 * DAY_MS
PERIOD = {"from": "2025-12-06", "to": "2026-01-04"}


@dataclass(frozen=True, slots=True)
class Case:
    """One endpoint: its API answer and the plain SQL figure, each as counts by key."""

    name: str
    api: Callable[[], dict[Any, int]]
    plain: Callable[[], dict[Any, int]]


def percentiles(samples: list[float]) -> tuple[str, float]:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    text = f"p50 {statistics.median(ms):8.1f} ms  p95 {p95:8.1f} ms  max {ms[-1]:8.1f} ms"
    return text, p95


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def same_as_plain(api: dict[Any, int], plain: dict[Any, int]) -> bool:
    """The API shows exactly the plain counts that are not suppressed (k-anonymity)."""
    return {k: v for k, v in plain.items() if v >= K_ANONYMITY} == api


def api_cells(answer: dict[str, Any]) -> dict[tuple[int, int], int]:
    return {(c["weekday"], c["hour"]): c["n"] for c in answer["cells"] if c["n"]}


def csv_counts(content: bytes) -> dict[str, int]:
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header = lines.index(next(line for line in lines if line[:2] == ["rank", "office_id"]))
    return {row[1]: int(row[3]) for row in lines[header + 1 :] if row[3]}


def measure_endpoints(db: str, label: str, token: str, args: argparse.Namespace) -> list[str]:
    """The figures of every endpoint, printed as they come; the last line counts the answers
    that differ from plain SQL."""
    server, port = start_app(db)
    base = f"http://127.0.0.1:{port}/api/v1/analytics"
    loop = asyncio.new_event_loop()
    driver = loop.run_until_complete(open_driver(Settings(db_url=db), run_migrations=False))
    rng = random.Random(args.seed)
    mismatches = 0
    lines: list[str] = []
    try:
        with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
            chosen: list[str] = []

            def api_office_heatmap() -> dict[tuple[int, int], int]:
                chosen.append(f"bo-{rng.randrange(args.offices):05d}")
                r = http.get(f"{base}/heatmap", params={**PERIOD, "office_id": chosen[-1]})
                return api_cells(r.json())

            def sql(query: Any) -> dict[Any, int]:
                answer: dict[Any, int] = loop.run_until_complete(query)
                return answer

            period = (START_OF_PERIOD_MS, END_MS)
            cases = [
                Case(
                    "heatmap, one office",
                    api_office_heatmap,
                    lambda: sql(plain_heatmap(driver, chosen[-1], *period)),
                ),
                Case(
                    "heatmap, all 2,000 offices",
                    lambda: api_cells(http.get(f"{base}/heatmap", params=PERIOD).json()),
                    lambda: sql(plain_heatmap(driver, None, *period)),
                ),
                Case(
                    "ranking, all offices",
                    lambda: {
                        o["office_id"]: o["n"]
                        for o in http.get(f"{base}/ranking", params=PERIOD).json()["offices"]
                        if o["n"]
                    },
                    lambda: sql(plain_ranking(driver, *period)),
                ),
                Case(
                    "export ranking CSV",
                    lambda: csv_counts(
                        http.get(f"{base}/export", params={**PERIOD, "report": "ranking"}).content
                    ),
                    lambda: sql(plain_ranking(driver, *period)),
                ),
            ]
            for case in cases:
                mismatches += _measure_case(case, label, args, lines)
    finally:
        loop.run_until_complete(driver.close())
        server.terminate()
        server.wait(timeout=20)
    lines.append(f"[{label}] answers differing from plain SQL: {mismatches}")
    print(lines[-1], flush=True)
    return lines


def _measure_case(case: Case, label: str, args: argparse.Namespace, lines: list[str]) -> int:
    """Time one endpoint and its plain SQL figure, add their two lines; answers differing."""
    case.api()  # warm the caches once
    case.plain()
    api_s, plain_s = [], []
    answers = []
    runs = args.heavy_queries if case.name.startswith("heatmap, all") else args.queries
    for i in range(runs):
        dt, answer = timed(case.api)
        api_s.append(dt)
        if i < args.baseline_queries:
            dt, figure = timed(case.plain)
            plain_s.append(dt)
            answers.append((answer, figure))
    api_text, p95 = percentiles(api_s)
    plain_text, _ = percentiles(plain_s)
    verdict = "meets" if p95 <= TARGET_MS else "MISSES"
    target = f"({verdict} p95 <= {TARGET_MS:.0f} ms)"
    lines += [
        f"[{label}] {case.name:27s} API       {api_text}  {target}",
        f"[{label}] {case.name:27s} plain SQL {plain_text}  (raw events, n={len(plain_s)})",
    ]
    print(lines[-2], "\n" + lines[-1], flush=True)
    return sum(1 for a, b in answers if not same_as_plain(a, b))
