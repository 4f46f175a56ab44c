"""The runtime's status LED and heartbeat without a broker: offline, reader fault, panel
fault; plus backoff bounds and the system figures."""

from __future__ import annotations

import random
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPin

from agent.config import AgentConfig
from agent.heartbeat import chrony_tracking_synced, clock_synced, cpu_temp_c, mem_used_pct
from agent.publisher import backoff_delay
from agent.runtime import Agent
from tests.agent.agent_rig import config_data
from tests.agent.doubles import FakeCardSource, FakeClock
from tests.fixtures.gps import free_port

STATUS_PIN = 24


def offline_agent(tmp_path: Path, pins: MockFactory, card: FakeCardSource) -> Agent:
    config = AgentConfig(**config_data(tmp_path, f"mqtt://127.0.0.1:{free_port()}"))
    return Agent(config, card_source=card, pin_factory=pins, clock=FakeClock())


def wait_for_changes(pin: MockPin, count: int, within_s: float) -> None:
    """Wait until the LED has changed ``count`` times (not a fixed sleep: a loaded machine)."""
    deadline = time.monotonic() + within_s
    while len(pin.states) < count:
        assert time.monotonic() < deadline, f"{len(pin.states)} of {count} LED changes"
        time.sleep(0.02)


def test_status_led_offline_then_fault(tmp_path: Path) -> None:
    pins, card = MockFactory(), FakeCardSource()
    agent = offline_agent(tmp_path, pins, card)
    agent.start()
    try:
        status = pins.pin(STATUS_PIN)
        wait_for_changes(status, 3, within_s=10)  # the agent found the broker down, blinks
        offline = [s.timestamp for s in status.states[2:]]
        assert offline
        assert all(abs(t - 1.0) < 0.1 for t in offline)  # slow blink
        card.set_status("error")
        agent.tick()
        status.clear_states()
        wait_for_changes(status, 4, within_s=10)
        fault = [s.timestamp for s in status.states[2:]]
        assert len(fault) >= 2
        assert all(abs(t - 0.2) < 0.06 for t in fault)  # fast blink
        body = agent.heartbeat_body()
        assert body.reader == "error"
        assert body.outbox_depth == 0
    finally:
        agent.stop()


def test_panel_pins_taken_is_a_fault_event_not_a_crash(tmp_path: Path) -> None:
    pins = MockFactory()
    first = offline_agent(tmp_path / "a", pins, FakeCardSource())
    second = offline_agent(tmp_path / "b", pins, FakeCardSource())  # same pins: conflict
    try:
        assert first.panel_status == "ok"
        assert second.panel_status == "fault"
        assert second.panel is None
        assert second.heartbeat_body().panel == "fault"
        stored = second.outbox.read_from(0, 10)
        assert len(stored) == 1
        assert b'"component":"panel"' in stored[0].payload
    finally:
        first.stop()
        second.stop()


def test_backoff_grows_with_jitter_and_caps() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(a, 0.5, 60, rng) for a in range(12)]
    assert 0.25 <= delays[0] <= 0.5
    assert 2.0 <= delays[3] <= 4.0
    assert all(30 <= d <= 60 for d in delays[8:])
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered


def test_system_figures(tmp_path: Path) -> None:
    zone = tmp_path / "thermal_zone0"
    zone.mkdir()
    (zone / "type").write_text("cpu-thermal\n")
    (zone / "temp").write_text("48312\n")
    assert cpu_temp_c(tmp_path) == 48.3
    assert cpu_temp_c(tmp_path / "none") is None
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\n")
    assert mem_used_pct(meminfo) == 75.0
    assert isinstance(clock_synced(), bool)


def test_clock_sync_sources_in_order(tmp_path: Path) -> None:
    flag = tmp_path / "synchronized"

    def denied() -> bool | None:
        return None  # adjtimex refused (systemd ProtectClock=yes)

    assert clock_synced(kernel=lambda: True, timesyncd_flag=flag, chrony=lambda: False)
    assert not clock_synced(kernel=lambda: False, timesyncd_flag=flag, chrony=lambda: True)
    assert not clock_synced(kernel=denied, timesyncd_flag=flag, chrony=lambda: None)
    assert clock_synced(kernel=denied, timesyncd_flag=flag, chrony=lambda: True)
    flag.write_text("")
    assert clock_synced(kernel=denied, timesyncd_flag=flag, chrony=lambda: None)


def test_chrony_tracking_line() -> None:
    synced = (
        "A29FC87B,162.159.200.123,3,1764057600.123456789,0.000012345,-0.000001234,"
        "0.000023456,-12.345,0.001,0.021,0.012345,0.001234,64.2,Normal"
    )
    unsynced = (
        "00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,"
        "0.000,0.000,0.000,1.0,1.0,0.0,Not synchronised"
    )
    assert chrony_tracking_synced(synced) is True
    assert chrony_tracking_synced(unsynced) is False
    assert chrony_tracking_synced("") is None
