"""The collector's app (no MQTT ingest) with accounts wired to a real local SMTP server.

Helpers act as a browser would: read a form, send back its CSRF token, follow the emailed link.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from collector.accounts.context import AccountContext
from collector.accounts.settings import AccountSettings
from collector.api.app import create_app
from collector.ingest.subscriber import wait_ready
from collector.registry import OfficeIn
from collector.registry_writes import upsert_office
from collector.storage import Driver
from collector.tokens import Role, create_token
from tests.collector.conftest import make_settings
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.smtp import SmtpSink

BASE = "http://collector.test"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"/password/set/([A-Za-z0-9_-]+)")
PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Rig:
    app: FastAPI
    driver: Driver
    mail: SmtpSink
    ops: dict[str, str]
    tech: dict[str, str]
    base: str = BASE  # https://... when cookies are Secure

    def client(self) -> httpx.AsyncClient:
        """A new 'browser' (own cookie jar) on the same app."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.base)

    async def office(self, office_id: str, agency: str) -> None:
        await upsert_office(
            self.driver,
            OfficeIn(
                office_id=office_id,
                name_th="สำนักงาน " + office_id,
                name_en=office_id,
                agency=agency,
                province="Chiang Mai",
            ),
        )

    async def add_person(
        self, email: str, role: str, agency_id: str | None = None, offices: Sequence[str] = ()
    ) -> str:
        body: dict[str, Any] = {
            "email": email,
            "first_name": "ทดสอบ",
            "last_name": "ระบบ",
            "role": role,
            "agency_id": agency_id,
            "office_ids": list(offices),
        }
        async with self.client() as c:
            r = await c.post("/api/v1/people", json=body, headers=self.ops)
        assert r.status_code == 201, r.text
        person_id: str = r.json()["person_id"]
        return person_id

    def last_link(self, email: str) -> str:
        messages = self.mail.to(email)
        assert messages, f"no email to {email}"
        found = LINK_RE.search(self.mail.body(messages[-1]))
        assert found, "the email has no set-password link"
        return found.group(1)

    async def set_password(self, email: str, password: str = PASSWORD) -> httpx.Response:
        token = self.last_link(email)
        async with self.client() as c:
            form = await c.get(f"/password/set/{token}")
            assert form.status_code == 200, form.text
            return await c.post(
                f"/password/set/{token}",
                data={
                    "password": password,
                    "password2": password,
                    "csrf_token": csrf_of(form.text),
                },
            )

    async def login(
        self, c: httpx.AsyncClient, email: str, password: str = PASSWORD
    ) -> httpx.Response:
        form = await c.get("/login")
        return await c.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        )

    @asynccontextmanager
    async def person(
        self, email: str, role: str, agency_id: str | None = None, offices: Sequence[str] = ()
    ) -> AsyncIterator[httpx.AsyncClient]:
        """A logged-in browser of a new person."""
        await self.add_person(email, role, agency_id, offices)
        r = await self.set_password(email)
        assert r.status_code == 303, r.text
        async with self.client() as c:
            r = await self.login(c, email)
            assert r.status_code == 303, r.text
            yield c


def account_settings(mail: SmtpSink, **extra: Any) -> AccountSettings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": mail.port,
        "smtp_starttls": False,
        "public_url": BASE,
    }
    values.update(extra)
    return AccountSettings(**values)


@asynccontextmanager
async def running_rig(
    db_url: str,
    mail: SmtpSink,
    broker: MosquittoBroker | None = None,
    collector_settings: dict[str, Any] | None = None,
    **extra: Any,
) -> AsyncIterator[Rig]:
    """The app on ``db_url``; with ``broker``, MQTT ingest runs too (and /readyz can be 200).

    ``collector_settings`` go to the collector's Settings, ``extra`` to the accounts' settings."""
    settings = make_settings(db_url, broker, **(collector_settings or {}))
    app = create_app(settings, ingest=broker is not None)
    app.state.accounts = AccountContext(account_settings(mail, **extra))
    async with app.router.lifespan_context(app):
        driver = app.state.collector.driver
        if broker is not None:
            assert await wait_ready(app.state.collector.subscriber, 10)
        ops = await create_token(driver, Role.OPS, "test ops")
        tech = await create_token(driver, Role.TECHNICIAN, "test tech")
        yield Rig(
            app,
            driver,
            mail,
            {"Authorization": f"Bearer {ops}"},
            {"Authorization": f"Bearer {tech}"},
        )
