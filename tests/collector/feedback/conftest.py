"""The collector's app on SQLite or PostgreSQL with feedback settings a test chooses.

``fb_rig`` gives the accounts rig (real SMTP sink, tokens), an office with two counters, and
a contact sealer so complaints may carry a contact (the cases part seals it).
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from collector.cases.sealing import ContactSealer, use_sealer
from collector.feedback.context import FeedbackContext
from collector.feedback.keys import Signer
from collector.feedback.settings import FeedbackSettings
from tests.collector.accounts.rig import Rig, running_rig
from tests.fixtures.smtp import SmtpSink

AGENCY_A = "cm-mueang-chiang-mai-dopa"
AGENCY_B = "cm-chom-thong-dopa"
SECRET = "test-secret-" + "x" * 32

RigFactory = Callable[..., AbstractAsyncContextManager[Rig]]


def feedback_settings(**extra: Any) -> FeedbackSettings:
    values: dict[str, Any] = {
        "feedback_secret": SECRET,
        "public_url": "http://collector.test",
        "feedback_client_limit": "1000/minute",
        "feedback_counter_limit": "1000/minute",
    }
    values.update(extra)
    return FeedbackSettings(**values)


def signer(rig: Rig) -> Signer:
    ctx: FeedbackContext = rig.app.state.feedback
    return ctx.signer(rig.driver)


@pytest.fixture
def make_rig(db_url: str, smtp_server: SmtpSink) -> RigFactory:
    """``async with make_rig(**feedback settings) as rig``: the app with an office-a (agency
    A, counters "1" and "2") and office-b (agency B, counter "1")."""

    @asynccontextmanager
    async def factory(**extra: Any) -> AsyncIterator[Rig]:
        use_sealer(ContactSealer({"t1": base64.b64decode(base64.b64encode(os.urandom(32)))}))
        try:
            async with running_rig(db_url, smtp_server) as rig:
                rig.app.state.feedback = FeedbackContext(feedback_settings(**extra))
                await rig.office("office-a", AGENCY_A)
                await rig.office("office-b", AGENCY_B)
                async with rig.client() as c:
                    for device, office, label in (
                        ("dev-a1", "office-a", "1"),
                        ("dev-a2", "office-a", "2"),
                        ("dev-b1", "office-b", "1"),
                    ):
                        body = {"device_id": device, "office_id": office, "counter_label": label}
                        r = await c.post("/api/v1/devices", json=body, headers=rig.ops)
                        assert r.status_code == 201, r.text
                yield rig
        finally:
            use_sealer(None)

    return factory


@pytest.fixture
async def rig(make_rig: RigFactory) -> AsyncIterator[Rig]:
    async with make_rig() as r:
        yield r
