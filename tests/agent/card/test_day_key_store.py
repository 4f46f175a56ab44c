"""The provisioned day-key file: owner/mode checks at start, past keys deleted, reloads."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from agent.card.day_key_store import DayKeyStore
from agent.card.errors import KeyFileError
from agent.card.factory import open_card_source
from agent.card.settings import CardSettings
from protocols import DayKey, day_key
from protocols.day_keys import make_day_keys
from tests.agent.card.conftest import PEPPER

TODAY = date(2026, 11, 25)


def write_keys(path: Path, first: date, days: int, mode: int = 0o600) -> None:
    path.write_text(make_day_keys(PEPPER, first, days).dumps())
    os.chmod(path, mode)


def days_in(path: Path) -> list[str]:
    return sorted(json.loads(path.read_text())["keys"])


def test_today_key_and_past_keys_deleted_at_start(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    write_keys(path, TODAY - timedelta(days=2), 5)
    store = DayKeyStore(path, today=lambda: TODAY)
    assert days_in(path) == ["2026-11-25", "2026-11-26", "2026-11-27"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.key_for(TODAY) == DayKey("cf1", day_key(PEPPER, TODAY))
    assert store.key_for(TODAY - timedelta(days=1)) is None  # gone for good
    assert [p.name for p in tmp_path.iterdir()] == ["day-keys.json"]  # no temp files left


def test_day_rollover_deletes_yesterday(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    write_keys(path, TODAY, 2)
    store = DayKeyStore(path, today=lambda: TODAY)
    tomorrow = TODAY + timedelta(days=1)
    assert store.key_for(tomorrow) == DayKey("cf1", day_key(PEPPER, tomorrow))
    assert days_in(path) == ["2026-11-26"]
    assert store.key_for(tomorrow + timedelta(days=1)) is None
    assert days_in(path) == []


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o700 | 0o004])
def test_group_or_other_bits_refused_at_start(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "day-keys.json"
    write_keys(path, TODAY, 2, mode=mode)
    with pytest.raises(KeyFileError) as info:
        DayKeyStore(path, today=lambda: TODAY)
    message = str(info.value)
    assert str(path) in message
    assert f"{stat.S_IMODE(mode):04o}" in message
    assert "chmod 600" in message


def test_other_owner_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    write_keys(path, TODAY, 2)
    other = os.geteuid() + 1000
    os.chown(path, other, -1)
    with pytest.raises(KeyFileError, match=rf"{path}: owned by uid {other}, expected"):
        DayKeyStore(path, today=lambda: TODAY)
    # The check can be turned off (development machines).
    assert DayKeyStore(path, check_owner=False, today=lambda: TODAY).key_for(TODAY)


def test_malformed_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    path.write_text('{"v": 1, "keys": {"2026-11-25": "not-hex"}}')
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match=rf"day-key file {path}: keys must map"):
        DayKeyStore(path, today=lambda: TODAY)


def test_missing_file_means_no_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "absent.json"
    with caplog.at_level(logging.WARNING):
        store = DayKeyStore(path, today=lambda: TODAY)
    assert "does not exist" in caplog.text
    assert store.key_for(TODAY) is None
    write_keys(path, TODAY, 1)  # provisioned later: picked up without a restart
    assert store.key_for(TODAY) == DayKey("cf1", day_key(PEPPER, TODAY))


def test_refreshed_file_is_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    write_keys(path, TODAY, 1)
    store = DayKeyStore(path, today=lambda: TODAY)
    later = TODAY + timedelta(days=5)
    assert store.key_for(later) is None
    write_keys(path, TODAY, 10)
    assert store.key_for(later) == DayKey("cf1", day_key(PEPPER, later))


def test_factory_checks_the_file_before_anything_starts(tmp_path: Path) -> None:
    path = tmp_path / "day-keys.json"
    write_keys(path, TODAY, 2, mode=0o644)
    for backend in ("pcsc", "simulated"):
        settings = CardSettings(backend=backend, day_keys_path=path)
        with pytest.raises(KeyFileError, match="mode 0644"):
            open_card_source(settings, today=lambda: TODAY)
    # No reader, no keys needed.
    none = open_card_source(CardSettings(backend="none", day_keys_path=path))
    assert none.status == "absent"
