"""Login, logout, CSRF, lockout and password reset, with a real local SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from collector.accounts.sessions import SESSION_COOKIE
from tests.collector.accounts.rig import PASSWORD, Rig, csrf_of, running_rig
from tests.fixtures.smtp import SmtpSink

EMAIL = "manager.one@example.go.th"


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server, login_max_failures=3, login_lockout_s=60) as r:
        yield r


async def test_new_person_gets_a_link_never_a_password(rig: Rig) -> None:
    await rig.add_person("ops.two@example.go.th", "ops")
    [message] = rig.mail.to("ops.two@example.go.th")
    body = rig.mail.body(message)
    assert "/password/set/" in body
    assert rig.last_link("ops.two@example.go.th") in body
    row = await rig.driver.fetchrow(
        "SELECT password_hash FROM people WHERE email = ?", "ops.two@example.go.th"
    )
    assert row is not None
    assert row["password_hash"] is None
    assert (await rig.set_password("ops.two@example.go.th")).status_code == 303
    stored = await rig.driver.fetchval(
        "SELECT password_hash FROM people WHERE email = ?", "ops.two@example.go.th"
    )
    assert str(stored).startswith("$argon2id$")
    assert PASSWORD not in str(stored)


async def test_login_cookie_flags_session_and_logout(rig: Rig) -> None:
    await rig.add_person(EMAIL, "ops")
    await rig.set_password(EMAIL)
    async with rig.client() as c:
        r = await rig.login(c, EMAIL)
        assert r.status_code == 303
        assert r.headers["location"] == "/account"
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie
        me = await c.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json()["role"] == "ops"
        page = await c.get("/account")
        assert page.status_code == 200
        assert 'data-role="ops"' in page.text
        stolen = c.cookies[SESSION_COOKIE]
        r = await c.post("/logout", data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 303
    async with rig.client() as replay:  # the old cookie is dead server-side, not just deleted
        replay.cookies.set(SESSION_COOKIE, stolen)
        assert (await replay.get("/api/v1/me")).status_code == 401


async def test_secure_cookie_behind_tls(db_url: str, smtp_server: SmtpSink) -> None:
    async with running_rig(db_url, smtp_server, cookie_secure=True) as rig:
        rig.base = "https://collector.test"  # a Secure cookie only comes back over TLS
        await rig.add_person(EMAIL, "ops")
        await rig.set_password(EMAIL)
        async with rig.client() as c:
            r = await rig.login(c, EMAIL)
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
        assert "Secure" in cookie


async def test_forms_without_csrf_are_refused(rig: Rig) -> None:
    await rig.add_person(EMAIL, "ops")
    await rig.set_password(EMAIL)
    async with rig.client() as c:
        await c.get("/login")
        r = await c.post("/login", data={"email": EMAIL, "password": PASSWORD})
        assert r.status_code == 403
        assert SESSION_COOKIE not in c.cookies
        r = await c.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": "x"})
        assert r.status_code == 403
        assert (await rig.login(c, EMAIL)).status_code == 303
        # Logged in: logout and API writes need the session's token.
        assert (await c.post("/logout", data={})).status_code == 403
        assert (await c.get("/api/v1/me")).status_code == 200
        body = {"email": "x@example.go.th", "first_name": "a", "last_name": "b", "role": "ops"}
        r = await c.post("/api/v1/people", json=body)
        assert r.status_code == 403
        assert r.json()["field"] == "X-CSRF-Token"
        assert not rig.mail.to("x@example.go.th")
        page = await c.get("/account")
        r = await c.post("/api/v1/people", json=body, headers={"X-CSRF-Token": csrf_of(page.text)})
        assert r.status_code == 201


async def test_lockout_after_failures_then_reset_unlocks(rig: Rig) -> None:
    await rig.add_person(EMAIL, "manager", "dopa-cm")
    await rig.set_password(EMAIL)
    async with rig.client() as c:
        for _ in range(2):
            r = await rig.login(c, EMAIL, "wrong password!")
            assert r.status_code == 401
            assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in r.text
        r = await rig.login(c, EMAIL, "wrong password!")
        assert r.status_code == 429
        # Locked: even the right password is refused until the lock ends.
        r = await rig.login(c, EMAIL)
        assert r.status_code == 429
        assert SESSION_COOKIE not in c.cookies
        assert "วินาที" in r.text
        # A reset by email unlocks and the link works once.
        form = await c.get("/password/forgot")
        r = await c.post(
            "/password/forgot", data={"email": EMAIL, "csrf_token": csrf_of(form.text)}
        )
        assert r.status_code == 200
    token = rig.last_link(EMAIL)
    assert (await rig.set_password(EMAIL, "a new long passphrase")).status_code == 303
    async with rig.client() as c:
        form = await c.get(f"/password/set/{token}")
        assert form.status_code == 404  # used
        assert (await rig.login(c, EMAIL, PASSWORD)).status_code == 401
        assert (await rig.login(c, EMAIL, "a new long passphrase")).status_code == 303


async def test_unknown_email_reset_is_silent_and_sends_nothing(rig: Rig) -> None:
    async with rig.client() as c:
        form = await c.get("/password/forgot?lang=en")
        r = await c.post(
            "/password/forgot",
            data={"email": "nobody@example.go.th", "csrf_token": csrf_of(form.text)},
        )
    assert r.status_code == 200
    assert "If this address is known" in r.text
    assert rig.mail.messages == []


async def test_password_policy_errors_name_the_field_and_keep_the_link(rig: Rig) -> None:
    await rig.add_person(EMAIL, "ops")
    token = rig.last_link(EMAIL)
    async with rig.client() as c:
        form = await c.get(f"/password/set/{token}?lang=en")
        r = await c.post(
            f"/password/set/{token}",
            data={"password": "short", "password2": "short", "csrf_token": csrf_of(form.text)},
        )
        assert r.status_code == 422
        assert "Password: at least 10 characters" in r.text
        r = await c.post(
            f"/password/set/{token}",
            data={"password": PASSWORD, "password2": "other", "csrf_token": csrf_of(form.text)},
        )
        assert r.status_code == 422
        assert "Confirm password: does not match" in r.text
    assert (
        await rig.driver.fetchval("SELECT password_hash FROM people WHERE email = ?", EMAIL) is None
    )
    assert (await rig.set_password(EMAIL)).status_code == 303


async def test_expired_link_and_expired_session(rig: Rig) -> None:
    await rig.add_person(EMAIL, "ops")
    await rig.driver.fetch("SELECT 1")
    async with rig.driver.transaction() as tx:
        await tx.execute("UPDATE one_time_links SET expires_ms = 1")
    async with rig.client() as c:
        assert (await c.get(f"/password/set/{rig.last_link(EMAIL)}")).status_code == 404
    await rig.add_person("second@example.go.th", "ops")
    await rig.set_password("second@example.go.th")
    async with rig.client() as c:
        await rig.login(c, "second@example.go.th")
        assert (await c.get("/api/v1/me")).status_code == 200
        async with rig.driver.transaction() as tx:
            await tx.execute("UPDATE sessions SET expires_ms = 1")
        assert (await c.get("/api/v1/me")).status_code == 401
        r = await c.get("/account")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")


async def test_deactivation_ends_sessions(rig: Rig) -> None:
    async with rig.person(EMAIL, "ops") as c:
        person_id = (await c.get("/api/v1/me")).json()["person_id"]
        async with rig.client() as admin:
            r = await admin.post(f"/api/v1/people/{person_id}/deactivate", headers=rig.ops)
        assert r.status_code == 200
        assert r.json()["sessions_ended"] == 1
        assert (await c.get("/api/v1/me")).status_code == 401
        assert (await rig.login(c, EMAIL)).status_code == 401


async def test_per_client_limit(db_url: str, smtp_server: SmtpSink) -> None:
    async with running_rig(db_url, smtp_server, login_client_limit="3/minute") as rig:
        await rig.add_person(EMAIL, "ops")
        await rig.set_password(EMAIL)
        async with rig.client() as c:
            for n in range(3):  # unknown accounts: only the client counter sees these
                r = await rig.login(c, f"guess{n}@example.go.th", "whatever else")
                assert r.status_code == 401
            r = await rig.login(c, EMAIL)
            assert r.status_code == 429
            assert SESSION_COOKIE not in c.cookies
        failures = await rig.driver.fetchval(
            "SELECT failed_logins FROM people WHERE email = ?", EMAIL
        )
        assert failures == 0  # the account itself is not punished for others' guesses


async def test_smtp_down_saves_nothing(db_url: str, smtp_server: SmtpSink) -> None:
    async with running_rig(db_url, smtp_server, smtp_port=1) as rig, rig.client() as c:
        body = {"email": EMAIL, "first_name": "a", "last_name": "b", "role": "ops"}
        r = await c.post("/api/v1/people", json=body, headers=rig.ops)
        assert r.status_code == 503
        assert r.json()["field"] == "smtp"
        assert await rig.driver.fetchval("SELECT count(*) FROM people") == 0
        assert await rig.driver.fetchval("SELECT count(*) FROM one_time_links") == 0
