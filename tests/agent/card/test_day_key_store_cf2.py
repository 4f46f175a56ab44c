"""cf2 key files in the agent: the scheme of the key makes the pseudonym, delivered keys are
installed atomically (0600), only for today or tomorrow, never weaker than what is held."""

from __future__ import annotations

import json
import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from agent.card.day_key_store import DayKeyStore
from agent.card.errors import KeyFileError
from agent.card.simulated import SimulatedCardSource
from protocols import DayKey, cf2_day_key, cf2_visitor_pseudonym, day_key, visitor_pseudonym
from protocols.day_keys import make_day_keys
from simulator.card.synthetic_person import SyntheticPerson
from tests.agent.card.conftest import CANARY_ID, PEPPER, RecordingListener

TODAY = date(2026, 12, 2)
TOMORROW = TODAY + timedelta(days=1)
OFFICE = "cm-mueang-chiang-mai-dol"


def _file(path: Path, text: str) -> None:
    path.write_text(text)
    os.chmod(path, 0o600)


def test_a_cf2_file_gives_cf2_keys_and_pseudonyms(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    _file(path, make_day_keys(PEPPER, TODAY, 2, office=OFFICE).dumps())
    store = DayKeyStore(path, today=lambda: TODAY)
    assert store.scheme == "cf2"
    key = cf2_day_key(PEPPER, OFFICE, TODAY)
    assert store.key_for(TODAY) == DayKey("cf2", key)
    listener = RecordingListener()
    source = SimulatedCardSource(day_keys=store, today=lambda: TODAY)
    source.start(listener)
    source.insert(SyntheticPerson(citizen_id=CANARY_ID))
    read = listener.wait_for("inserted")
    assert read.visitor == cf2_visitor_pseudonym(key, CANARY_ID)
    assert read.visitor != visitor_pseudonym(day_key(PEPPER, TODAY), CANARY_ID)
    source.stop()


def test_no_key_for_today_is_null_not_a_fallback(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    _file(path, make_day_keys(PEPPER, TOMORROW, 1, office=OFFICE).dumps())
    listener = RecordingListener()
    store = DayKeyStore(path, today=lambda: TODAY)
    source = SimulatedCardSource(day_keys=store, today=lambda: TODAY)
    source.start(listener)
    source.insert(SyntheticPerson(citizen_id=CANARY_ID))
    assert listener.wait_for("inserted").visitor is None
    assert listener.wait_for("fault").code == "no_day_key"
    source.stop()


def test_install_adds_tomorrow_atomically_and_deletes_past_days(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    _file(path, make_day_keys(PEPPER, TODAY - timedelta(days=1), 2, office=OFFICE).dumps())
    store = DayKeyStore(path, today=lambda: TODAY)
    detail = store.install("cf2", OFFICE, TOMORROW, cf2_day_key(PEPPER, OFFICE, TOMORROW))
    assert "2026-12-03" in detail
    assert cf2_day_key(PEPPER, OFFICE, TOMORROW).hex() not in detail
    document = json.loads(path.read_text())
    assert document["scheme"] == "cf2"
    assert sorted(document["keys"]) == ["2026-12-02", "2026-12-03"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".day-keys-")]
    assert store.key_for(TOMORROW) == DayKey("cf2", cf2_day_key(PEPPER, OFFICE, TOMORROW))
    # Another process (a second store) sees the delivered key too.
    assert DayKeyStore(path, today=lambda: TOMORROW).key_for(TOMORROW) is not None


def test_install_moves_a_cf1_device_to_cf2_and_never_back(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    _file(path, make_day_keys(PEPPER, TODAY, 7).dumps())  # an old device: a week of cf1 keys
    store = DayKeyStore(path, today=lambda: TODAY)
    assert store.key_for(TODAY) == DayKey("cf1", day_key(PEPPER, TODAY))
    store.install("cf2", OFFICE, TODAY, cf2_day_key(PEPPER, OFFICE, TODAY))
    document = json.loads(path.read_text())
    assert (document["scheme"], sorted(document["keys"])) == ("cf2", ["2026-12-02"])
    assert store.key_for(TODAY + timedelta(days=3)) is None  # the week of cf1 keys is gone
    with pytest.raises(KeyFileError, match="scheme: a cf2 device never takes a cf1 key"):
        store.install("cf1", None, TOMORROW, day_key(PEPPER, TOMORROW))
    assert store.scheme == "cf2"


@pytest.mark.parametrize("day", [TODAY - timedelta(days=1), TODAY + timedelta(days=2)])
def test_install_takes_today_or_tomorrow_only(tmp_path: Path, day: date) -> None:
    path = tmp_path / "day-keys.json"
    store = DayKeyStore(path, today=lambda: TODAY)
    with pytest.raises(KeyFileError, match=r"date: .* neither today"):
        store.install("cf2", OFFICE, day, cf2_day_key(PEPPER, OFFICE, day))
    assert not path.exists()


def test_install_creates_a_missing_file_and_checks_an_existing_one(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    store = DayKeyStore(path, today=lambda: TODAY)
    assert store.key_for(TODAY) is None
    store.install("cf2", OFFICE, TODAY, cf2_day_key(PEPPER, OFFICE, TODAY))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.key_for(TODAY) == DayKey("cf2", cf2_day_key(PEPPER, OFFICE, TODAY))
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        store.install("cf2", OFFICE, TOMORROW, cf2_day_key(PEPPER, OFFICE, TOMORROW))
