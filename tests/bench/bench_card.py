"""Benchmark: virtual card insertion -> CardRead handed to the listener (the session layer's
entry point), over the real path pcscd + vpcd + pyscard + PcscCardSource.

Two runs of N insertions (default 100): no per-APDU delay, then 20 ms per APDU. Demographics
on (9 APDUs per read), the default settle delay (0.3 s) unless --settle is given. Prints the
median and p95 of: insertion -> CardRead, insertion -> the source noticing the card (pcscd
polls vpcd every 400 ms), and noticing -> CardRead (settle + the read itself).

    .venv/bin/python tests/bench/bench_card.py [--insertions 100] [--settle 0.3]
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.card.day_key_store import StaticDayKeys, office_today
from agent.card.interface import CardFault, CardRead, ReaderStatus
from agent.card.pcsc_reader import PcscCardSource
from agent.card.settings import CardSettings
from protocols.day_keys import make_day_keys
from simulator.card.virtual_card import VirtualThaiCard
from simulator.card.virtual_card_os import CardBehaviour
from tests.fixtures.pcsc import LOCK_PATH, Pcscd


class TimingListener:
    def __init__(self) -> None:
        self.read_at: float | None = None
        self.read: CardRead | None = None
        self.faults: list[CardFault] = []
        self.got_read = threading.Event()
        self.got_removed = threading.Event()

    def card_inserted(self, read: CardRead) -> None:
        self.read_at = time.perf_counter()
        self.read = read
        self.got_read.set()

    def card_removed(self) -> None:
        self.got_removed.set()

    def card_fault(self, fault: CardFault) -> None:
        self.faults.append(fault)

    def reader_status(self, status: ReaderStatus) -> None:
        return None


class NoticeHandler(logging.Handler):
    """The moment the source logs "card inserted" (it saw the card, before settling)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.noticed_at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "card inserted":
            self.noticed_at = time.perf_counter()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run(pcscd: Pcscd, insertions: int, apdu_delay_s: float, settle_s: float) -> None:
    listener = TimingListener()
    notice = NoticeHandler()
    watcher_log = logging.getLogger("agent.card.pcsc_reader")
    watcher_log.addHandler(notice)
    watcher_log.setLevel(logging.INFO)
    settings = CardSettings(reader=pcscd.reader_name(0), demographics=True, settle_delay_s=settle_s)
    keys = StaticDayKeys(make_day_keys(bytes(32), office_today(), 2))
    source = PcscCardSource(settings, day_keys=keys)
    source.start(listener)
    total, detect, read = [], [], []
    label = f"{apdu_delay_s * 1000:g} ms per APDU"
    try:
        for n in range(1, insertions + 1):
            listener.got_read.clear()
            listener.got_removed.clear()
            notice.noticed_at = None
            card = VirtualThaiCard(behaviour=CardBehaviour(atr="3b79", apdu_delay_s=apdu_delay_s))
            # Insert at a random phase of pcscd's 400 ms vpcd polling, as a hand would.
            time.sleep(random.uniform(0, 0.4))
            start = time.perf_counter()
            card.insert()
            if not listener.got_read.wait(10):
                raise SystemExit(f"bench_card: no CardRead after 10 s ({listener.faults})")
            assert listener.read_at is not None
            assert notice.noticed_at is not None
            total.append(listener.read_at - start)
            detect.append(notice.noticed_at - start)
            read.append(listener.read_at - notice.noticed_at)
            card.remove()
            pcscd.wait_card(0, present=False)
            listener.got_removed.wait(5)
            if n % 10 == 0:
                print(f"  [{label}] {n}/{insertions} insertions", flush=True)
    finally:
        source.stop()
        watcher_log.removeHandler(notice)
    print(f"{label}, settle {settle_s:g} s, {insertions} insertions (times in ms):")
    for name, values in (
        ("insert -> CardRead", total),
        ("  insert -> noticed", detect),
        ("  noticed -> CardRead", read),
    ):
        ms = [v * 1000 for v in values]
        print(
            f"  {name:<22} median {statistics.median(ms):7.1f}   p95 {percentile(ms, 95):7.1f}"
            f"   min {min(ms):7.1f}   max {max(ms):7.1f}"
        )
    print(f"  faults: {len(listener.faults)}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--insertions", type=int, default=100)
    parser.add_argument("--settle", type=float, default=CardSettings().settle_delay_s)
    args = parser.parse_args()
    with LOCK_PATH.open("a+") as lock:
        print(f"bench_card: waiting for {LOCK_PATH} (pcscd/vpcd in use by tests?)", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
        pcscd = Pcscd(Path(tempfile.mkdtemp(prefix="bench-pcscd-")))
        try:
            pcscd.ensure()
            print(f"bench_card: pcscd {'started' if pcscd.ours else 'already running'}")
            for delay in (0.0, 0.020):
                run(pcscd, args.insertions, delay, args.settle)
        finally:
            pcscd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
