"""Counter placement at the real offices, and the visitor model."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import datetime, timedelta

import pytest

from agent.card.citizen_id import is_valid_citizen_id
from agent.errors import AgentError
from protocols import ICT
from protocols.identifiers import ID_PATTERN
from simulator import behaviour
from simulator.offices import load_offices, place_counters


def test_the_25_district_offices_with_thai_names_inside_chiang_mai() -> None:
    offices = load_offices()
    assert len(offices) == 25
    assert offices[0].office_id == "cm-mueang-chiang-mai-dol"
    assert offices[0].name_th == "ที่ว่าการอำเภอเมืองเชียงใหม่"
    for office in offices:
        assert 17.2 <= office.lat <= 20.2, office
        assert 97.3 <= office.lon <= 99.6, office
        assert office.name_th.startswith("ที่ว่าการอำเภอ")


def test_twenty_counters_with_several_at_the_big_offices() -> None:
    sites = place_counters(20)
    ids = [s.device_id for s in sites]
    assert len(set(ids)) == 20
    per_office = Counter(s.office.office_id for s in sites)
    assert per_office["cm-mueang-chiang-mai-dol"] == 3
    assert per_office["cm-san-sai-dol"] == 2
    assert len(per_office) == 16
    assert all(re.fullmatch(ID_PATTERN, i) for i in ids)
    assert "cm-mueang-chiang-mai-dol-c03" in ids


def test_many_counters_cover_every_office_and_zero_is_refused() -> None:
    assert {s.office.office_id for s in place_counters(60)} == {o.office_id for o in load_offices()}
    with pytest.raises(AgentError, match="--devices"):
        place_counters(0)


def test_closed_at_night_and_at_weekends_busiest_in_the_morning() -> None:
    wednesday = datetime(2026, 11, 25, tzinfo=ICT)
    assert behaviour.arrival_rate(wednesday.replace(hour=7)) == 0
    assert behaviour.arrival_rate(wednesday.replace(hour=20)) == 0
    assert behaviour.arrival_rate(wednesday.replace(hour=10)) == 1.0
    assert behaviour.arrival_rate(wednesday.replace(hour=12, minute=30)) < 0.5
    assert behaviour.arrival_rate((wednesday + timedelta(days=3)).replace(hour=10)) == 0
    rng = random.Random(3)
    for _ in range(200):
        t = behaviour.next_arrival(rng, wednesday.replace(hour=17), 1.0)
        assert behaviour.arrival_rate(t) > 0


def test_better_offices_get_better_scores() -> None:
    rng = random.Random(5)
    good = behaviour.Tendency(0.95, 0.8, 0.0, 0.05, 0.5, 1.0)
    poor = behaviour.Tendency(0.2, 0.8, 0.3, 0.05, 0.5, 1.0)
    good_mean = sum(good.score(rng, 5) for _ in range(2000)) / 2000
    poor_mean = sum(poor.score(rng, 5) for _ in range(2000)) / 2000
    assert good_mean > 3.8
    assert poor_mean < 2.6
    assert {poor.score(rng, 3) for _ in range(500)} == {1, 2, 3}


def test_synthetic_visitors_are_province_99_with_valid_checksums() -> None:
    rng = random.Random(9)
    for _ in range(500):
        person = behaviour.synthetic_visitor(rng)
        assert person.citizen_id.startswith("199")
        assert person.citizen_id[1:3] == "99"
        assert is_valid_citizen_id(person.citizen_id)
        assert person.citizen_id not in repr(person)
