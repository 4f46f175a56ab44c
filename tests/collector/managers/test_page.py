"""The analytics page with a suppressed office in the ranking, the channel and counter tables,
and an office's alert settings form (CSRF, errors naming the field, the secret kept)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from collector.records import IngestBatch
from collector.registry import DeviceIn
from collector.registry_writes import upsert_device
from collector.storage.ingest_store import write_batch
from tests.collector.accounts.rig import Rig, csrf_of, running_rig
from tests.collector.managers.data import DAY, QUERY, START, Seqs, rating
from tests.fixtures.smtp import SmtpSink

A = "cm-mueang-chiang-mai-dopa"


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server, k_anonymity=5) as r:
        for office, device in (("office-a", "dev-a1"), ("office-a2", "dev-a2")):
            await r.office(office, A)
            await upsert_device(r.driver, DeviceIn(device_id=device, office_id=office))
        yield r


async def test_page_with_a_suppressed_office_and_the_settings_form(rig: Rig) -> None:
    rng, seqs = random.Random(2), Seqs()
    events = [rating(seqs, "dev-a1", START + rng.randrange(10 * DAY), rng) for _ in range(60)]
    events += [rating(seqs, "dev-a2", START + rng.randrange(10 * DAY), rng) for _ in range(2)]
    await write_batch(rig.driver, IngestBatch(events=events))
    async with rig.person("aa@example.go.th", "agency_admin", A) as admin:
        page = await admin.get(f"/analytics?{QUERY}")
        assert page.status_code == 200, page.text[-300:]
        assert '<tr data-office-id="office-a2" class="suppressed">' in page.text
        assert 'data-channel="buttons"' in page.text
        page = await admin.get(f"/analytics?{QUERY}&office_id=office-a")
        assert 'id="alert-settings-form"' in page.text
        form = {
            "csrf_token": csrf_of(page.text),
            "enabled": "on",
            "min_ratings": "0",
            "window_minutes": "15",
            "negative_share": "50",
            "quiet_minutes": "60",
            "email": "",
            "webhook_url": "https://hooks.example.go.th/cf",
            "webhook_secret": "a-secret-of-enough-length",
        }
        url = f"/analytics/alert-settings?office_id=office-a&{QUERY}"
        bad = await admin.post(url, data=form)
        assert bad.status_code == 422
        assert 'id="a-min_ratings-error"' in bad.text
        assert (await admin.post(url, data={**form, "csrf_token": "x"})).status_code == 403
        good = await admin.post(url, data={**form, "min_ratings": "4"})
        assert good.status_code == 200
        assert 'id="form-message"' in good.text
        again = await admin.post(url, data={**form, "min_ratings": "5", "webhook_secret": ""})
        assert again.status_code == 200  # an empty secret keeps the stored one
    row = await rig.driver.fetchrow(
        "SELECT min_ratings, negative_share, webhook_secret FROM office_alert_settings"
    )
    assert row is not None
    assert (row["min_ratings"], row["negative_share"]) == (5, 0.5)
    assert row["webhook_secret"] == "a-secret-of-enough-length"
