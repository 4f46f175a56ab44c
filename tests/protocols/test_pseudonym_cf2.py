"""Scheme cf2 (PROTOCOL.md "Visitor pseudonym"): a fixed vector computed here independently,
the day-key file naming its scheme (both schemes round-trip), and the day-keys CLI."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from argon2.low_level import Type, hash_secret_raw

import protocols as p
from protocols.day_keys import DayKeyFile, make_day_keys
from protocols.pseudonym import DayKey

PEPPER = bytes(range(32))
OFFICE = "cm-mueang-chiang-mai-dol"
DAY = date(2026, 12, 2)
CITIZEN = "1999900000013"


def _independent_cf2(pepper: bytes, office: str, day: str, citizen_id: str) -> tuple[bytes, str]:
    """The protocol text written out with hashlib/hmac and argon2's low-level call."""
    key = hmac.new(pepper, f"cf2-day|{office}|{day}".encode(), hashlib.sha256).digest()
    raw = hash_secret_raw(
        secret=citizen_id.encode("ascii"),
        salt=key,
        time_cost=2,
        memory_cost=16384,
        parallelism=1,
        hash_len=16,
        type=Type.ID,
    )
    return key, base64.b32encode(raw).decode().replace("=", "").lower()[:26]


def test_cf2_golden_vector() -> None:
    key, visitor = _independent_cf2(PEPPER, OFFICE, "2026-12-02", CITIZEN)
    assert key.hex() == "2e3ba0127c3bce9956996f353a3eb23666a5098a5259ca68291a4a3621060b88"
    # Pinned: a change in either derivation (here or in protocols/) breaks the vector.
    assert visitor == "2nfx2b4xqroqak5oc2pueyrp5e"
    assert p.cf2_day_key(PEPPER, OFFICE, DAY) == key
    assert p.cf2_visitor_pseudonym(key, CITIZEN) == visitor
    assert DayKey("cf2", key).pseudonym(CITIZEN) == visitor
    assert len(visitor) == 26


def test_cf2_keys_are_per_office_and_day_and_differ_from_cf1() -> None:
    key = p.cf2_day_key(PEPPER, OFFICE, DAY)
    assert key != p.cf2_day_key(PEPPER, "cm-other-office", DAY)
    assert key != p.cf2_day_key(PEPPER, OFFICE, date(2026, 12, 3))
    cf1 = p.day_key(PEPPER, DAY)
    assert DayKey("cf1", cf1).pseudonym(CITIZEN) == p.visitor_pseudonym(cf1, CITIZEN)
    assert DayKey("cf2", cf1).pseudonym(CITIZEN) != DayKey("cf1", cf1).pseudonym(CITIZEN)


def test_day_key_repr_hides_the_key() -> None:
    key = p.cf2_day_key(PEPPER, OFFICE, DAY)
    assert key.hex() not in repr(DayKey("cf2", key))
    assert str(list(key)) not in repr(DayKey("cf2", key))


def test_key_files_round_trip_in_both_schemes() -> None:
    cf2 = make_day_keys(PEPPER, DAY, 2, office=OFFICE)
    again = DayKeyFile.loads(cf2.dumps())
    assert again == cf2
    assert json.loads(cf2.dumps())["scheme"] == "cf2"
    assert again.day_key(DAY) == DayKey("cf2", p.cf2_day_key(PEPPER, OFFICE, DAY))
    cf1 = make_day_keys(PEPPER, DAY, 3)
    assert DayKeyFile.loads(cf1.dumps()) == cf1
    assert cf1.day_key(DAY) == DayKey("cf1", p.day_key(PEPPER, DAY))
    # A file written before schemes existed (no "scheme" field) still loads as cf1.
    old = json.dumps({"v": 1, "keys": {"2026-12-02": p.day_key(PEPPER, DAY).hex()}})
    loaded = DayKeyFile.loads(old)
    assert loaded.scheme == "cf1"
    assert loaded.day_key(DAY) == DayKey("cf1", p.day_key(PEPPER, DAY))


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"v": 1, "scheme": "cf2", "keys": {}}, "must name its office"),
        ({"v": 1, "scheme": "cf1", "office": OFFICE, "keys": {}}, "has no office"),
        ({"v": 1, "scheme": "cf9", "keys": {}}, "scheme"),
        ({"v": 1, "scheme": "cf2", "office": "X!", "keys": {}}, "office"),
    ],
)
def test_bad_scheme_fields_are_refused_naming_the_field(document: object, reason: str) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        DayKeyFile.loads(json.dumps(document))
    assert caught.value.code == "bad_day_keys"
    assert reason in caught.value.reason


def test_a_cf2_file_holds_two_days_at_most() -> None:
    with pytest.raises(ValueError, match="today and tomorrow"):
        make_day_keys(PEPPER, DAY, 3, office=OFFICE)


def test_adding_keys_never_falls_back_and_never_mixes() -> None:
    cf1 = make_day_keys(PEPPER, DAY, 7)
    key = p.cf2_day_key(PEPPER, OFFICE, DAY)
    moved = cf1.with_key("cf2", OFFICE, DAY, key)
    assert (moved.scheme, moved.office, list(moved.keys)) == ("cf2", OFFICE, [DAY])
    tomorrow = date(2026, 12, 3)
    both = moved.with_key("cf2", OFFICE, tomorrow, p.cf2_day_key(PEPPER, OFFICE, tomorrow))
    assert sorted(both.keys) == [DAY, tomorrow]
    with pytest.raises(p.ProtocolError) as caught:
        both.with_key("cf1", None, tomorrow, p.day_key(PEPPER, tomorrow))
    assert caught.value.code == "weaker_scheme"
    other = both.with_key("cf2", "cm-other-office", tomorrow, key)
    assert (other.office, list(other.keys)) == ("cm-other-office", [tomorrow])


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "protocols", "day-keys", *args],
        capture_output=True,
        check=False,
        timeout=60,
    )


def test_day_keys_cli_makes_cf2_files_by_default(tmp_path: Path) -> None:
    pepper = tmp_path / "pepper"
    pepper.write_text(PEPPER.hex())
    out = _cli("--pepper-file", str(pepper), "--office", OFFICE, "--from", "2026-12-02")
    assert out.returncode == 0, out.stderr
    doc = DayKeyFile.loads(out.stdout.decode())
    assert (doc.scheme, doc.office, sorted(doc.keys)) == ("cf2", OFFICE, [DAY, date(2026, 12, 3)])
    assert doc.key_for(DAY) == p.cf2_day_key(PEPPER, OFFICE, DAY)
    for bad, field in (
        (("--pepper-file", str(pepper)), "--office"),
        (("--pepper-file", str(pepper), "--office", OFFICE, "--days", "3"), "today and tomorrow"),
        (("--pepper-file", str(pepper), "--scheme", "cf1", "--office", OFFICE), "--office"),
    ):
        refused = _cli(*bad)
        assert refused.returncode == 2
        assert refused.stderr.decode().count("\n") == 1
        assert field in refused.stderr.decode()
    old = _cli("--pepper-file", str(pepper), "--scheme", "cf1", "--from", "2026-12-02")
    cf1 = DayKeyFile.loads(old.stdout.decode())
    assert (cf1.scheme, len(cf1.keys)) == ("cf1", 7)
