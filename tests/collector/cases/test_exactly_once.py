"""Done-when of issue 11's connector: 1,000 complaints forwarded by ``python -m collector`` through
injected centre faults (500, 429 + Retry-After, dropped connections, accepted-then-dropped, slow
past the timeout) and a kill -9 of the collector in the middle of forwarding. Afterwards the
fake centre (a real process) has received each case exactly once — repeats of a key it already
had were answered idempotently and counted apart — every case is forwarded, and no outbox row is
left pending or dead. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import jsonschema
import pytest

from collector.cases.payload import load_schema
from collector.cases.sealing import ContactSealer, use_sealer
from collector.config import Settings
from collector.storage import open_driver
from tests.collector.cases.conftest import CONTACT_KEYS
from tests.collector.cases.helpers import open_cases
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.centre import CENTRE_SECRET, FakeCentre
from tests.fixtures.collector_process import OPS_TOKEN, CollectorProcess

pytestmark = pytest.mark.slow

CASES = 1000
FAULTS = {"500": 0.12, "429": 0.05, "drop": 0.05, "accept_drop": 0.05, "slow": 0.01}


async def _seed(db_url: str) -> list[str]:
    driver = await open_driver(Settings(db_url=db_url))
    try:
        async with driver.transaction() as tx:
            for office_id, lat, lon in (
                ("OFF-BKK-01", 13.73, 100.52),
                ("OFF-CNX-01", 18.79, 98.99),
            ):
                await tx.execute(
                    "INSERT INTO offices (office_id, name_th, name_en, lat, lon, created_ms, "
                    "updated_ms) VALUES (?, 'สำนักงานทดสอบ', ?, ?, ?, 0, 0)",
                    office_id,
                    office_id,
                    lat,
                    lon,
                )
        return await open_cases(driver, CASES, now_ms=int(time.time() * 1000))
    finally:
        await driver.close()


async def _states(db_url: str) -> tuple[dict[str, int], dict[str, int]]:
    driver = await open_driver(Settings(db_url=db_url), run_migrations=False)
    try:
        cases = await driver.fetch("SELECT state, count(*) AS n FROM cases GROUP BY state")
        rows = await driver.fetch("SELECT status, count(*) AS n FROM case_outbox GROUP BY status")
    finally:
        await driver.close()
    return {r["state"]: int(r["n"]) for r in cases}, {r["status"]: int(r["n"]) for r in rows}


def _wait(what: str, check: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout_s} s")


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_thousand_cases_through_faults_and_kill9_arrive_exactly_once(
    db: str, request: pytest.FixtureRequest, tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    db_url = str(tmp_path / "c.db") if db == "sqlite" else request.getfixturevalue("postgres_url")
    use_sealer(ContactSealer({}))  # these cases carry no contact
    t0 = time.monotonic()
    ids = asyncio.run(_seed(db_url))
    seeded = time.monotonic() - t0
    centre = FakeCentre(tmp_path).start()
    collector = CollectorProcess(
        tmp_path,
        {
            "CF_MQTT_URL": mosquitto.url,
            "CF_DB_URL": db_url,
            "CF_BOOTSTRAP_OPS_TOKEN": OPS_TOKEN,
            "CF_CASES_TRANSPORT": "webhook",
            "CF_CASES_WEBHOOK_URL": centre.cases_url,
            "CF_CASES_WEBHOOK_SECRET": CENTRE_SECRET,
            "CF_CASES_WEBHOOK_TIMEOUT_S": "1",
            "CF_CASES_CONTACT_KEYS": CONTACT_KEYS,
            "CF_CASES_INTERVAL_S": "0.1",
            "CF_CASES_BACKOFF_BASE_S": "0.1",
            "CF_CASES_BACKOFF_MAX_S": "2",
            "CF_CASES_LEASE_S": "3",
            "CF_CASES_MAX_ATTEMPTS": "100",
            "CF_CASES_BATCH": "40",
            "CF_CASES_CONCURRENCY": "8",
        },
        log_level="WARNING",
    )
    try:
        centre.mix(FAULTS, seed=11, retry_after=1, delay_s=1.5)
        collector.start_ready(timeout_s=60)  # a loaded 2-core machine starts it slowly
        _wait("a third forwarded", lambda: len(centre.received()["accepted"]) >= CASES // 3, 40)
        killed_at = time.monotonic() - t0
        collector.kill()  # kill -9 in the middle of forwarding
        before = centre.received()
        assert CASES // 3 <= len(before["accepted"]) < CASES, "the kill was not mid-forwarding"
        collector.start_ready(timeout_s=60)  # a loaded 2-core machine starts it slowly
        _wait("all forwarded", lambda: len(centre.received()["accepted"]) == CASES, 60)
        ops = {"Authorization": f"Bearer {OPS_TOKEN}"}

        def drained() -> bool:
            r = httpx.get(f"{collector.url}/api/v1/cases/outbox", headers=ops, timeout=5)
            return bool(r.json()["counts"] == {"pending": 0, "delivered": CASES, "dead": 0})

        _wait("outbox drained", drained, 30)
        done_at = time.monotonic() - t0
    finally:
        collector.stop()
        centre_summary = centre.received(payloads=True) if centre.proc else {}
        centre.kill()
    accepted = centre_summary["accepted"]
    assert len(accepted) == CASES
    assert len(set(accepted)) == CASES  # no key recorded twice
    assert set(accepted) == set(ids)  # none lost, none invented
    assert centre_summary["bad_signatures"] == 0
    assert sum(centre_summary["refused"].values()) > 0  # the faults really happened
    print(
        f"\n{db}: {CASES} cases, {centre_summary['requests']} requests, "
        f"refused {centre_summary['refused']}, idempotent repeats "
        f"{centre_summary['duplicates']}, accepted before kill {len(before['accepted'])}; "
        f"seeded {seeded:.1f} s, killed at {killed_at:.1f} s, drained at {done_at:.1f} s"
    )
    schema = load_schema()
    for payload in centre_summary["payloads"].values():
        jsonschema.validate(payload, schema)
    states, outbox = asyncio.run(_states(db_url))
    assert states == {"forwarded": CASES}
    assert outbox == {"delivered": CASES}
