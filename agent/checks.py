"""``agent check``: what a technician runs on a freshly installed counter, one line per check.

Each check prints ``ok``, ``FAIL`` or ``skip`` with its name and one short reason; the exit
status is non-zero when any check failed. Card data is never printed (only whether a card
read worked).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from agent.broker_probe import probe
from agent.card.interface import CardFault, CardRead, ReaderStatus
from agent.config import AgentConfig, load_config
from agent.errors import AgentError
from agent.heartbeat import clock_synced
from agent.location import Fix, GpsdSource, LocationTracker
from agent.panel import Panel, PanelError
from agent.runtime import open_card_source, pin_factory_for

Outcome = tuple[bool, str]


class _CardProbe:
    """A CardListener that only remembers what happened (never card data)."""

    def __init__(self) -> None:
        self.status: ReaderStatus | None = None
        self.outcome: Outcome | None = None
        self.changed = threading.Event()

    def card_inserted(self, read: CardRead) -> None:
        self.outcome = (True, f"card read (card_valid={read.card_valid})")
        self.changed.set()

    def card_removed(self) -> None:
        pass

    def card_fault(self, fault: CardFault) -> None:
        self.outcome = (False, f"card fault {fault.code}")
        self.changed.set()

    def reader_status(self, status: ReaderStatus) -> None:
        self.status = status
        self.changed.set()


def _reader_and_card(config: AgentConfig, timeout_s: float) -> tuple[Outcome, Outcome]:
    if config.card.backend == "none":
        none = (True, "no reader configured (all ratings are unverified)")
        return none, (True, "no reader configured")
    source = open_card_source(config)
    assert source is not None
    listener = _CardProbe()
    source.start(listener)
    try:
        listener.changed.wait(min(timeout_s, 3.0))
        status = listener.status or source.status
        if status != "present":
            return (False, f"reader {status}"), (False, "no reader")
        reader = (True, "reader present")
        # A card already inserted is read right after start; give it the settle time.
        listener.changed.clear()
        waited = 0.0
        while listener.outcome is None and waited < min(timeout_s, 5.0):
            listener.changed.wait(0.2)
            waited += 0.2
        card = listener.outcome or (True, "no card inserted (insert one to test reading)")
        return reader, card
    finally:
        source.stop()


def _broker(config: AgentConfig) -> Outcome:
    error = probe(config.mqtt, config.device.id)
    if error is None:
        return True, f"connected to {config.mqtt.host}:{config.mqtt.port} as {config.device.id}"
    return False, error


def _gps(config: AgentConfig, timeout_s: float) -> Outcome:
    s = config.location
    if not s.gpsd:
        return True, "gpsd disabled in config"
    source = GpsdSource(s.gpsd_host, s.gpsd_port)
    tracker = LocationTracker(s, _NoClock(), lambda _b: True)
    good: list[Fix] = []
    got = threading.Event()

    def on_fix(fix: Fix) -> None:
        if tracker.good(fix):
            good.append(fix)
            got.set()

    source.start(on_fix)
    try:
        got.wait(timeout_s)
        status = source.status
    finally:
        source.stop()
    if good:
        fix = good[0]
        return True, f"{fix.mode}d fix, hdop {fix.hdop}, {fix.sats} satellites"
    return False, f"no good fix within {timeout_s:g} s (gpsd: {status})"


class _NoClock:
    def monotonic(self) -> float:
        return 0.0

    def now(self) -> datetime:  # never used by the fix filter
        raise NotImplementedError


def _leds(config: AgentConfig) -> Outcome:
    if not config.panel.enabled:
        return True, "panel disabled in config"
    try:
        panel = Panel(config.panel, pin_factory=pin_factory_for(config))
    except PanelError as exc:
        return False, str(exc)
    try:
        panel.led_test()
    finally:
        panel.close()
    return True, f"{len(config.panel.leds)} rating LEDs lit in turn (watch them)"


def _clock() -> Outcome:
    if clock_synced():
        return True, "kernel reports the clock synchronised"
    return False, "kernel reports the clock NOT synchronised (is chrony running?)"


def run_checks(
    config_path: Path,
    *,
    skip: set[str],
    timeout_s: float,
    out: Callable[[str], None] = print,
) -> int:
    def line(name: str, outcome: Outcome | None) -> bool:
        if outcome is None:
            out(f"skip {name}: skipped on request")
            return True
        ok, detail = outcome
        out(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        return ok

    try:
        config = load_config(config_path)
    except AgentError as exc:
        line("config", (False, str(exc)))
        return 1
    results = [line("config", (True, f"{config_path} valid (device {config.device.id})"))]
    if not {"reader", "card"} <= skip:
        try:
            reader, card = _reader_and_card(config, timeout_s)
        except AgentError as exc:
            reader, card = (False, str(exc)), (False, "no reader")
        results.append(line("reader", None if "reader" in skip else reader))
        results.append(line("card", None if "card" in skip else card))
    else:
        results += [line("reader", None), line("card", None)]
    results.append(line("broker", None if "broker" in skip else _broker(config)))
    results.append(line("gps", None if "gps" in skip else _gps(config, timeout_s)))
    results.append(line("leds", None if "leds" in skip else _leds(config)))
    results.append(line("clock", None if "clock" in skip else _clock()))
    return 0 if all(results) else 1
