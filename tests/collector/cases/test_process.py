"""``python -m collector`` with the connector on: the fake centre takes the cases and calls back
the collector's signed status endpoint (accepted by itself, then closed on command); a bad
``CF_CASES_*`` value stops the collector with one line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from collector.cases import case_timeline
from collector.cases.sealing import ContactSealer, use_sealer
from collector.config import Settings
from collector.storage import open_driver
from tests.collector.cases.conftest import CONTACT_KEYS
from tests.collector.cases.helpers import open_cases
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.centre import CENTRE_SECRET, FakeCentre
from tests.fixtures.collector_process import OPS_TOKEN, REPO, CollectorProcess

pytestmark = pytest.mark.slow


async def _seed(db_url: str) -> list[str]:
    driver = await open_driver(Settings(db_url=db_url))
    try:
        async with driver.transaction() as tx:
            await tx.execute(
                "INSERT INTO offices (office_id, name_th, name_en, created_ms, updated_ms) "
                "VALUES ('OFF-BKK-01', 'สำนักงานเขตบางรัก', 'Bang Rak', 0, 0)"
            )
        return await open_cases(driver, 2, now_ms=int(time.time() * 1000))
    finally:
        await driver.close()


async def _timeline(db_url: str, comment_id: str) -> list[str]:
    driver = await open_driver(Settings(db_url=db_url), run_migrations=False)
    try:
        return [s.state for s in await case_timeline(driver, comment_id)]
    finally:
        await driver.close()


def test_centre_calls_back_a_running_collector(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    db_url = str(tmp_path / "c.db")
    use_sealer(ContactSealer({}))
    ids = asyncio.run(_seed(db_url))
    collector = CollectorProcess(
        tmp_path,
        {
            "CF_MQTT_URL": mosquitto.url,
            "CF_DB_URL": db_url,
            "CF_BOOTSTRAP_OPS_TOKEN": OPS_TOKEN,
            "CF_CASES_TRANSPORT": "webhook",
            "CF_CASES_WEBHOOK_SECRET": CENTRE_SECRET,
            "CF_CASES_CONTACT_KEYS": CONTACT_KEYS,
            "CF_CASES_INTERVAL_S": "0.1",
        },
    )
    callback_url = f"{collector.url}/api/v1/cases/callback"
    centre = FakeCentre(tmp_path, callback_url=callback_url, auto_accept_s=0.3).start()
    collector.env["CF_CASES_WEBHOOK_URL"] = centre.cases_url
    ops = {"Authorization": f"Bearer {OPS_TOKEN}"}
    try:
        collector.start_ready(timeout_s=60)  # a loaded 2-core machine starts it slowly
        deadline = time.monotonic() + 20
        while len(centre.received()["accepted"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        got = centre.received()
        assert sorted(got["accepted"]) == sorted(ids)
        ref = got["references"][ids[0]]

        def state(case_id: str) -> str:
            r = httpx.get(f"{collector.url}/api/v1/cases/{case_id}", headers=ops, timeout=5)
            return str(r.json()["state"])

        while {state(i) for i in ids} != {"accepted"} and time.monotonic() < deadline:
            time.sleep(0.05)  # --auto-accept: the centre calls back "accepted" by itself
        assert {state(i) for i in ids} == {"accepted"}
        answer = centre.callback({"case_id": ids[0], "status": "accepted", "reference": ref})
        assert answer["status"] == 200, answer
        assert answer["answer"] == {"case_id": ids[0], "state": "accepted", "changed": False}
        answer = centre.callback(
            {"case_id": ids[0], "status": "closed", "outcome": "แก้ไขแล้ว", "note": "ขอบคุณ"}
        )
        assert answer["status"] == 200, answer
        detail = httpx.get(f"{collector.url}/api/v1/cases/{ids[0]}", headers=ops, timeout=5)
        body = detail.json()
        assert body["state"] == "closed"
        assert body["centre_ref"] == ref
        assert [s["state"] for s in body["steps"]] == [
            "received",
            "forwarded",
            "accepted",
            "closed",
        ]
        unknown = centre.callback({"case_id": "no-such-case", "status": "closed"})
        assert unknown["status"] == 404
        metrics = httpx.get(f"{collector.url}/metrics", headers=ops, timeout=5).text
        assert "cf_cases_delivered_total 2.0" in metrics
    finally:
        collector.stop()
        centre.kill()
    assert asyncio.run(_timeline(db_url, "cm-1")) == ["received", "forwarded", "accepted"]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"CF_CASES_TRANSPORT": "webhook"}, "collector: CF_CASES_WEBHOOK_URL: needed when"),
        ({"CF_CASES_TRANSPORT": "fax"}, "collector: CF_CASES_TRANSPORT: Input should be"),
        ({"CF_CASES_CONTACT_KEYS": "k1:AAAA"}, "collector: CF_CASES_CONTACT_KEYS: key 'k1' must"),
        (
            {"CF_CASES_TRANSPORT": "email", "CF_CASES_SMTP_HOST": "smtp.example.invalid"},
            "collector: CF_CASES_SMTP_HOST and CF_CASES_EMAIL_TO: needed",
        ),
    ],
)
def test_bad_setting_is_one_line(tmp_path: Path, env: dict[str, str], line: str) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CF_")}
    done = subprocess.run(
        [sys.executable, "-m", "collector"],
        env={**base, "CF_DB_URL": str(tmp_path / "c.db"), **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith(line), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
