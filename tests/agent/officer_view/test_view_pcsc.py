"""The officer view on the real card path: data while the card is in, nothing after removal,
a card pulled mid-read, lifelong and expired cards, a card without photo; the HTTP headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.card.synthetic_person import SyntheticPerson
from tests.agent.officer_view.rig import CANARY, CANARY_ID, CANARY_ROAD, OfficerCounter
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.pcsc import Pcscd, VirtualCards

pytestmark = pytest.mark.slow


@pytest.fixture
def counter(tmp_path: Path, mosquitto: MosquittoBroker, pcscd: Pcscd) -> OfficerCounter:
    with OfficerCounter(tmp_path, mosquitto.url, pcscd) as rig:
        yield rig  # type: ignore[misc]


def test_card_data_shown_while_in_and_gone_after_removal(
    counter: OfficerCounter, virtual_card: VirtualCards
) -> None:
    assert counter.wait_state("idle")["version"] == 0
    card = virtual_card(CANARY)
    shown = counter.wait_state("shown")
    fields = shown["card"]["fields"]
    assert fields["citizen_id"] == "1 9999 55501 23 5"
    assert fields["name_th"] == "นางสาวน้ำผึ้ง ศรีสุขใจดีเลิศ"  # tone marks and vowels intact
    assert fields["name_en"] == "Miss Namphueng Srisukjaideelert"
    assert fields["birth_date"] == "29 ก.พ. 2531"
    assert fields["address"].endswith(f"{CANARY_ROAD} ตำบลทดสอบใต้ อำเภอเมืองทดสอบ จังหวัดทดสอบ")
    assert fields["expiry_date"] == "9 มี.ค. 2575"
    assert shown["card"]["checks_ok"] == {"applet": True, "check_digit": True, "expiry": True}
    english = counter.client.get("/api/card", params={"lang": "en"}).json()
    assert english["card"]["fields"]["birth_date"] == "29 Feb 2531 BE (1988)"
    photo = counter.client.get("/api/photo", params={"v": shown["version"]})
    assert photo.status_code == 200
    assert photo.content.startswith(b"\xff\xd8")
    assert photo.content.endswith(b"\xff\xd9")
    assert photo.headers["cache-control"].startswith("no-store")

    virtual_card.remove(card)
    gone = counter.wait_state("idle")
    assert "card" not in gone
    assert CANARY_ID[1:5] not in str(gone)
    old = counter.client.get("/api/photo", params={"v": shown["version"]})
    assert old.status_code == 404
    assert counter.view.card.snapshot().details is None  # the one reference is gone


def test_card_pulled_mid_read_shows_nothing(
    counter: OfficerCounter, virtual_card: VirtualCards, pcscd: Pcscd
) -> None:
    card = virtual_card(CANARY, disconnect_after=6)  # leaves during the names read
    assert card.wait_removed(10)
    pcscd.wait_card(0, present=False)
    failed = counter.wait_state("failed")
    assert failed["fault"] == "read_interrupted"
    assert "card" not in failed


def test_lifelong_card_without_photo(counter: OfficerCounter, virtual_card: VirtualCards) -> None:
    person = CANARY.with_changes(expiry_date="99999999", birth_date="24800000", photo="none")
    card = virtual_card(person)
    shown = counter.wait_state("shown")
    assert shown["card"]["fields"]["expiry_date"] == "ตลอดชีพ"
    assert shown["card"]["fields"]["birth_date"] == "2480"
    assert shown["card"]["checks"]["expiry"] == "ตลอดชีพ"
    assert shown["card"]["checks_ok"]["expiry"] is True
    assert shown["card"]["photo"] is False
    assert counter.client.get("/api/photo", params={"v": shown["version"]}).status_code == 404
    virtual_card.remove(card)


def test_expired_card_and_bad_check_digit_are_flagged(
    counter: OfficerCounter, virtual_card: VirtualCards
) -> None:
    bad = CANARY_ID[:-1] + str((int(CANARY_ID[-1]) + 1) % 10)
    card = virtual_card(SyntheticPerson(citizen_id=bad, expiry_date="25600101"))
    shown = counter.wait_state("shown")
    assert shown["card"]["checks_ok"] == {"applet": True, "check_digit": False, "expiry": False}
    assert shown["card"]["checks"]["check_digit"] == "ไม่ผ่าน"
    assert shown["card"]["checks"]["expiry"] == "หมดอายุแล้ว"
    virtual_card.remove(card)


def test_not_a_thai_card(counter: OfficerCounter, virtual_card: VirtualCards) -> None:
    card = virtual_card(CANARY, no_applet=True)
    failed = counter.wait_state("failed")
    assert failed["fault"] == "not_thai_card"
    virtual_card.remove(card)


def test_headers_and_host_check(counter: OfficerCounter) -> None:
    page = counter.client.get("/")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store, max-age=0"
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in page.text
    assert 'src="/static/officer.js"' in page.text
    assert '<html lang="th">' in page.text
    assert 'lang="en"' in counter.client.get("/", params={"lang": "en"}).text
    rebinding = counter.client.get("/api/card", headers={"Host": "evil.example:80"})
    assert rebinding.status_code == 421
    copy = counter.client.post("/api/copy", json={"version": 1, "service": "new-card"})
    assert copy.status_code == 403  # no page token
    assert copy.json()["error"]["field"] == "X-Officer-Token"
