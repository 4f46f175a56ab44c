"""Location: the fix filter and publication rules (fake clock), and real gpsd via gpsfake."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from agent.config import LocationSettings
from agent.location import Fix, GpsdSource, LocationTracker, distance_m
from agent.wire import LocationBody
from tests.agent.doubles import FakeClock
from tests.fixtures.gps import GpsFake, GpsFakeFactory, free_port, redate_nmea

SETTINGS = LocationSettings(
    move_threshold_m=100,
    republish_interval_s=900,
    max_hdop=5,
    max_eph_m=50,
    lat=18.7883,
    lon=98.9853,
    accuracy_m=30,
)
GOOD = Fix(lat=18.8, lon=99.0, mode=3, hdop=0.9, eph=4.0, sats=9)


class Sink:
    def __init__(self, online: bool = True) -> None:
        self.sent: list[LocationBody] = []
        self.online = online

    def __call__(self, body: LocationBody) -> bool:
        self.sent.append(body)
        return self.online


def make(tmp_path: Path, online: bool = True) -> tuple[LocationTracker, Sink, FakeClock]:
    clock, sink = FakeClock(), Sink(online)
    return LocationTracker(SETTINGS, clock, sink, tmp_path / "location.json"), sink, clock


def test_distance() -> None:
    # one thousandth of a degree of latitude is ~111 m
    assert 110 < distance_m(18.0, 99.0, 18.001, 99.0) < 112


def test_provisioned_until_a_good_fix(tmp_path: Path) -> None:
    tracker, sink, clock = make(tmp_path)
    tracker.tick()
    assert [(b.source, b.lat) for b in sink.sent] == [("provisioned", 18.7883)]
    tracker.on_fix(Fix(18.8, 99.0, mode=1, hdop=0.9))  # no fix
    tracker.on_fix(Fix(18.8, 99.0, mode=3, hdop=9.0))  # poor HDOP
    tracker.on_fix(Fix(18.8, 99.0, mode=3, eph=80.0))  # poor estimated error
    tracker.on_fix(Fix(18.8, 99.0, mode=2))  # no quality figure at all
    assert len(sink.sent) == 1
    tracker.on_fix(GOOD)
    last = sink.sent[-1]
    assert (last.source, last.fix, last.hdop, last.sats, last.accuracy_m) == (
        "gps",
        "3d",
        0.9,
        9,
        4.0,
    )
    clock.advance(10)
    tracker.tick()
    assert len(sink.sent) == 2  # nothing due yet


def test_moves_and_periodic_republish(tmp_path: Path) -> None:
    tracker, sink, clock = make(tmp_path)
    tracker.on_fix(GOOD)
    tracker.on_fix(Fix(18.8005, 99.0, mode=3, hdop=1.0))  # ~55 m: jitter, not a move
    assert len(sink.sent) == 1
    tracker.on_fix(Fix(18.802, 99.0, mode=3, hdop=1.0))  # ~220 m: moved
    assert len(sink.sent) == 2
    clock.advance(899)
    tracker.tick()
    assert len(sink.sent) == 2
    tracker.on_fix(Fix(18.8021, 99.0, mode=3, hdop=1.0))  # still there (gpsd: every second)
    clock.advance(1)
    tracker.tick()
    assert len(sink.sent) == 3
    assert sink.sent[-1].source == "gps"  # the fix is fresh: periodic republish of it
    clock.advance(900)  # no fix for a whole interval: back to the provisioned location
    tracker.tick()
    assert sink.sent[-1].source == "provisioned"


def test_set_location_is_remembered_and_offline_is_retried(tmp_path: Path) -> None:
    tracker, sink, _clock = make(tmp_path, online=False)
    tracker.set_provisioned(13.75, 100.5, 8.0)
    sink.online = True
    tracker.connected()
    assert [(b.lat, b.source) for b in sink.sent] == [(13.75, "provisioned")] * 2
    again, _sink, _clock = make(tmp_path)
    assert again.provisioned is not None
    assert again.provisioned.lat == 13.75


def test_redate_recomputes_checksums() -> None:
    line = "$GPRMC,202640.000,A,4404.1306,N,12118.8515,W,0.03,225.97,130415,,,D*73"
    out = redate_nmea(line, date(2026, 11, 25)).strip()
    assert ",251126," in out
    body, checksum = out[1:].split("*")
    value = 0
    for char in body:
        value ^= ord(char)
    assert checksum == f"{value:02X}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("log", "lat", "lon"), [("mt3339.log", 44.0688, -121.3142), ("bu353s4.log", -37.785, 175.315)]
)
def test_gpsd_fix_through_gpsfake(
    gpsfake_factory: GpsFakeFactory, tmp_path: Path, log: str, lat: float, lon: float
) -> None:
    gps: GpsFake = gpsfake_factory(log)
    clock, sink = FakeClock(), Sink()
    tracker = LocationTracker(SETTINGS, clock, sink)
    got = threading.Event()
    source = GpsdSource(gps.host, gps.port)

    def on_fix(fix: Fix) -> None:
        tracker.on_fix(fix)
        if sink.sent:
            got.set()

    source.start(on_fix)
    try:
        assert got.wait(20), f"no good fix from gpsd (status {source.status})"
        assert source.status == "fix"
    finally:
        source.stop()
    body = sink.sent[0]
    assert body.source == "gps"
    assert body.fix in ("2d", "3d")
    assert abs(body.lat - lat) < 0.01
    assert abs(body.lon - lon) < 0.01
    assert body.accuracy_m is not None  # eph from gpsd (SKY with hdop may come later)


def test_gpsd_absent(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agent.location")
    source = GpsdSource("127.0.0.1", free_port())
    source.start(lambda _fix: None)
    try:
        deadline = time.monotonic() + 10
        while "unavailable" not in caplog.text:  # the connection attempt has failed
            assert time.monotonic() < deadline, "no connection attempt within 10 s"
            time.sleep(0.02)
        assert source.status == "absent"
    finally:
        source.stop()


def test_consolidated_fix_after_the_sampling_window(tmp_path: Path) -> None:
    tracker, sink, clock = make(tmp_path)
    offsets = [((i % 7) - 3) * 0.00001 for i in range(61)]  # about ±3.3 m of jitter
    for off in offsets:
        tracker.on_fix(Fix(18.8 + off, 99.0 - off, mode=3, hdop=1.0, eph=5.0, sats=8))
        clock.advance(1)
    assert [b.samples for b in sink.sent] == [None, 61]
    consolidated = sink.sent[-1]
    assert consolidated.source == "gps"
    assert consolidated.lat == pytest.approx(18.8, abs=1e-9)
    assert consolidated.lon == pytest.approx(99.0, abs=1e-9)
    assert consolidated.spread_m is not None
    assert 1.0 < consolidated.spread_m < 5.0
    assert consolidated.accuracy_m == consolidated.spread_m
    assert consolidated.window_s == 60.0
    assert (consolidated.fix, consolidated.hdop, consolidated.sats) == ("3d", 1.0, 8)
    # the periodic republication repeats the consolidated fix while GPS keeps reporting
    for _ in range(900):
        clock.advance(1)
        tracker.on_fix(GOOD)
    tracker.tick()
    assert sink.sent[-1].samples == 61
    # a move starts a new window: a single fix now, a consolidated one a minute later
    moved = Fix(18.81, 99.0, mode=3, hdop=1.0)
    tracker.on_fix(moved)
    assert sink.sent[-1].samples is None
    clock.advance(60)
    tracker.on_fix(moved)
    assert sink.sent[-1].samples == 2
    assert sink.sent[-1].lat == 18.81


def test_consolidation_can_be_turned_off(tmp_path: Path) -> None:
    settings = SETTINGS.replace(consolidate_s=0)
    clock, sink = FakeClock(), Sink()
    tracker = LocationTracker(settings, clock, sink, tmp_path / "location.json")
    for _ in range(120):
        tracker.on_fix(GOOD)
        clock.advance(1)
    assert [b.samples for b in sink.sent] == [None]
