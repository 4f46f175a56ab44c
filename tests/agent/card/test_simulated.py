"""The simulated source (demo, fleet simulator) and the factory that picks a back-end."""

from __future__ import annotations

from datetime import date

import pytest

from agent.card.factory import NoCardSource, open_card_source
from agent.card.interface import CardRead
from agent.card.pcsc_reader import PcscCardSource
from agent.card.settings import CardSettings
from agent.card.simulated import SimulatedCardSource
from protocols import day_key, visitor_pseudonym
from simulator.card.synthetic_person import SyntheticPerson
from tests.agent.card.conftest import PEPPER, RecordingListener, day_keys_for

TODAY = date(2026, 11, 25)


def started(listener: RecordingListener, **options: object) -> SimulatedCardSource:
    source = SimulatedCardSource(
        day_keys=day_keys_for(TODAY),
        today=lambda: TODAY,
        **options,  # type: ignore[arg-type]
    )
    source.start(listener)
    return source


def test_insert_and_remove_give_the_same_outcome_as_a_real_card(
    listener: RecordingListener,
) -> None:
    source = started(listener, demographics=True)
    assert source.status == "present"
    source.insert(SyntheticPerson(birth_date="25300415", sex="2"))
    source.remove()
    assert listener.events == [
        ("status", "present"),
        (
            "inserted",
            CardRead(
                visitor=visitor_pseudonym(day_key(PEPPER, TODAY), "1999900000013"),
                card_valid=True,
                age_band="30-39",
                sex="F",
            ),
        ),
        ("removed", None),
    ]


def test_second_insert_ends_the_first_session(listener: RecordingListener) -> None:
    source = started(listener)
    source.insert()
    source.insert(SyntheticPerson(citizen_id="1999900000021"))
    assert listener.kinds() == ["inserted", "removed", "inserted"]
    first, second = (v for k, v in listener.events if k == "inserted")
    assert first.visitor != second.visitor


def test_faults_and_no_day_key(listener: RecordingListener) -> None:
    source = started(listener)
    source.insert(SyntheticPerson(citizen_id="1999900000014"))
    source.remove()  # no session: nothing to end
    assert listener.kinds() == ["fault"]
    assert listener.faults() == ["bad_checksum"]
    source.fault("reader_lost", "demo")
    assert listener.faults() == ["bad_checksum", "reader_lost"]

    keyless = RecordingListener()
    source = SimulatedCardSource(day_keys=day_keys_for(date(2020, 1, 1)), today=lambda: TODAY)
    source.start(keyless)
    source.insert(SyntheticPerson(expiry_date="25600101"))
    assert keyless.wait_for("inserted") == CardRead(visitor=None, card_valid=False)
    assert keyless.faults() == ["no_day_key"]


def test_needs_start(listener: RecordingListener) -> None:
    source = SimulatedCardSource(day_keys=None)
    with pytest.raises(RuntimeError, match="start"):
        source.insert()


def test_factory_picks_the_back_end() -> None:
    keys = day_keys_for(TODAY)
    assert isinstance(open_card_source(CardSettings(backend="none")), NoCardSource)
    simulated = open_card_source(CardSettings(backend="simulated"), day_keys=keys)
    assert isinstance(simulated, SimulatedCardSource)
    pcsc = open_card_source(CardSettings(backend="pcsc"), day_keys=keys)
    assert isinstance(pcsc, PcscCardSource)
    assert pcsc.status == "absent"  # not started: nothing watched yet
