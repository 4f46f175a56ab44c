"""Counter tokens: tampered, expired, rotated keys (old ones accepted for the grace period).

Pure signing first, then through the database's key table and the form page (a friendly page,
never a 500), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import Settings
from collector.errors import ConfigError
from collector.feedback import keys
from collector.feedback.settings import FeedbackSettings
from collector.feedback.tokens import (
    DAY_MS,
    CounterToken,
    TokenError,
    TokenProblem,
    sign,
    verify,
)
from collector.storage import open_driver
from tests.collector.accounts.rig import Rig
from tests.collector.feedback.conftest import signer

KEY = b"k" * 32
NOW = 1_800_000_000_000
TOKEN = CounterToken("k1", "office-a", "ช่อง 1", NOW // DAY_MS + 10)


def flip(text: str, at: int) -> str:
    c = text[at]
    return text[:at] + ("B" if c != "B" else "C") + text[at + 1 :]


def test_a_signed_token_round_trips_with_a_thai_counter() -> None:
    assert verify(KEY, sign(KEY, TOKEN), NOW) == TOKEN


@pytest.mark.parametrize("part", [0, 1, 2, 3, 4])
def test_any_tampered_part_is_refused(part: int) -> None:
    pieces = sign(KEY, TOKEN).split(".")
    pieces[part] = flip(pieces[part], 1 if part == 0 and len(pieces[0]) > 1 else 0)
    if part == 0:
        pieces[0] = "k2"
    with pytest.raises(TokenError) as err:
        verify(KEY, ".".join(pieces), NOW)
    assert err.value.problem in (TokenProblem.SIGNATURE, TokenProblem.MALFORMED)


def test_another_key_or_an_expired_token_is_refused() -> None:
    text = sign(KEY, TOKEN)
    with pytest.raises(TokenError) as err:
        verify(b"x" * 32, text, NOW)
    assert err.value.problem is TokenProblem.SIGNATURE
    with pytest.raises(TokenError) as err:
        verify(KEY, text, TOKEN.expires_ms)
    assert err.value.problem is TokenProblem.EXPIRED
    assert err.value.expired
    assert verify(KEY, text, TOKEN.expires_ms - 1) == TOKEN


@pytest.mark.parametrize("text", ["", "a.b.c", "k1." * 200, "k1.OFFICE.MQ.1.x", "x" * 50])
def test_malformed_tokens(text: str) -> None:
    with pytest.raises(TokenError) as err:
        verify(KEY, text, NOW)
    assert err.value.problem is TokenProblem.MALFORMED


async def test_rotation_keeps_old_codes_for_the_grace_period(rig: Rig) -> None:
    s = signer(rig)
    old = await s.issue("office-a", "1", at_ms=NOW)
    assert old.startswith("k1.")
    await keys.rotate(rig.driver, grace_days=2, at_ms=NOW)
    new = await s.issue("office-a", "1", at_ms=NOW)
    assert new.startswith("k2.")
    assert (await s.check(old, at_ms=NOW + DAY_MS)).key_id == "k1"
    with pytest.raises(TokenError) as err:
        await s.check(old, at_ms=NOW + 2 * DAY_MS)
    assert err.value.problem is TokenProblem.KEY_RETIRED
    assert (await s.check(new, at_ms=NOW + 2 * DAY_MS)).key_id == "k2"
    listed = [k.to_json() for k in await keys.list_keys(rig.driver)]
    assert [k["key_id"] for k in listed] == ["k2", "k1"]
    assert [k["signing"] for k in listed] == [True, False]


async def test_a_key_id_that_was_never_made_is_refused(rig: Rig) -> None:
    text = sign(keys.derive(b"y" * 32, "k9"), TOKEN)
    with pytest.raises(TokenError) as err:
        await signer(rig).check(text, at_ms=NOW)
    assert err.value.problem is TokenProblem.UNKNOWN_KEY


async def test_the_form_shows_a_friendly_page_for_bad_codes(rig: Rig) -> None:
    s = signer(rig)
    good = await s.issue("office-a", "1")
    expired = await s.issue("office-a", "1", at_ms=NOW - 10_000 * DAY_MS)
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    async with rig.client() as c:
        assert (await c.get(f"/f/{good}")).status_code == 200
        r = await c.get(f"/f/{tampered}")
        assert r.status_code == 404
        assert "QR code นี้ไม่ถูกต้อง" in r.text
        r = await c.get(f"/f/{expired}?lang=en")
        assert r.status_code == 410
        assert "This QR code has expired" in r.text
        r = await c.get("/f/%3Cscript%3E")
        assert r.status_code == 404
        assert "<script>" not in r.text
        r = await c.post("/api/v1/feedback", json={"token": expired, "score": 3})
        assert r.status_code == 410
        assert r.json()["field"] == "token"


async def test_ops_rotate_over_the_api(rig: Rig) -> None:
    before = await signer(rig).issue("office-a", "1")
    async with rig.client() as c:
        listed = await c.get("/api/v1/feedback/keys", headers=rig.ops)
        assert [k["key_id"] for k in listed.json()["keys"]] == ["k1"]
        r = await c.post("/api/v1/feedback/keys/rotate", json={"grace_days": 0}, headers=rig.ops)
        assert r.status_code == 201
        assert r.json()["signing"]["key_id"] == "k2"
        assert (await c.post("/api/v1/feedback/keys/rotate", headers=rig.tech)).status_code == 403
        # grace 0: the code printed before the rotation is refused at once, kindly
        r = await c.get(f"/f/{before}")
        assert r.status_code == 410
    with pytest.raises(TokenError) as err:
        await signer(rig).check(before)
    assert err.value.problem is TokenProblem.KEY_RETIRED


async def test_the_master_secret_file_must_be_private(tmp_path: Path) -> None:
    secret = tmp_path / "qr.secret"
    secret.write_text("s" * 40, encoding="utf-8")
    secret.chmod(0o644)
    driver = await open_driver(Settings(db_url=str(tmp_path / "c.db")))
    try:
        with pytest.raises(ConfigError, match="chmod 600"):
            await keys.master_secret(driver, FeedbackSettings(feedback_secret_file=secret))
        secret.chmod(0o600)
        master = await keys.master_secret(driver, FeedbackSettings(feedback_secret_file=secret))
        assert master == b"s" * 40
        short = tmp_path / "short.secret"
        short.write_text("tiny", encoding="utf-8")
        short.chmod(0o600)
        with pytest.raises(ConfigError, match="at least 32"):
            await keys.master_secret(driver, FeedbackSettings(feedback_secret_file=short))
        # without a configured secret, one random master is made once and kept
        first = await keys.master_secret(driver, FeedbackSettings())
        assert first == await keys.master_secret(driver, FeedbackSettings())
        assert len(first) == 64
    finally:
        await driver.close()
