"""The background task in the collector process: check the office alert rules, deliver alerts.

Started and stopped with the app's lifespan (``install``); one round every
``CF_ALERT_CHECK_INTERVAL_S``. A failing round (database away, a bug) is logged and the next
round runs: alerting never stops the collector.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import httpx

from collector.accounts.context import AccountContext
from collector.managers.alert_delivery import deliver_pending
from collector.managers.alert_rule import fire_due
from collector.managers.settings import ManagerSettings
from collector.storage import Driver

_LOGGER = logging.getLogger(__name__)


class AlertTask:
    def __init__(self, driver: Driver, accounts: AccountContext, settings: ManagerSettings) -> None:
        self._driver = driver
        self._accounts = accounts
        self._settings = settings
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="office-alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def round(self, http: httpx.AsyncClient) -> None:
        fired = await fire_due(self._driver, int(time.time() * 1000))
        for alert in fired:
            _LOGGER.info("office alert fired: alert=%s office=%s", alert.alert_id, alert.office_id)
        s = self._accounts.settings
        await deliver_pending(
            self._driver,
            self._accounts.mailer,
            http,
            k=s.k_anonymity,
            public_url=s.public_url,
            max_attempts=self._settings.alert_max_attempts,
        )
        self.rounds += 1

    async def _run(self) -> None:
        timeout = httpx.Timeout(self._settings.alert_webhook_timeout_s)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            while True:
                try:
                    await self.round(http)
                except Exception:
                    _LOGGER.exception("office alert round failed")
                await asyncio.sleep(self._settings.alert_check_interval_s)
