"""Benchmark: what the officer view adds to a card read, over the real path pcscd + vpcd +
pyscard, and what rendering the office-made copy costs.

For each per-APDU delay (0 ms, then 20 ms as a slow card line) and N reads (default 20) of the
same inserted virtual card: the anonymous read alone (the baseline: what the counter reads
with the view off), + the officer fields without photo, + the photo. Then N renders of the A4
copy (fpdf2 + HarfBuzz shaping) in memory. Medians and p95; no target is set by issue 16, the
baseline is the view switched off.

    .venv/bin/python tests/bench/bench_officer_view.py [--reads 20]
"""

from __future__ import annotations

import argparse
import fcntl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.card.apdu import ApduChannel
from agent.card.details import read_card_details
from agent.card.pcsc_transport import PcscConnection
from agent.card.thai_id import read_thai_id
from agent.officer_view.copy_pdf import render_copy
from simulator.card.virtual_card import VirtualThaiCard
from simulator.card.virtual_card_os import CardBehaviour
from tests.agent.officer_view.card_io import details_of
from tests.agent.officer_view.rig import CANARY
from tests.fixtures.pcsc import LOCK_PATH, Pcscd


def _stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"


def _timed(reader: str, reads: int, body: Callable[[ApduChannel], object]) -> tuple[str, int]:
    samples = []
    apdus = 0
    for _ in range(reads):
        start = time.perf_counter()
        with PcscConnection(reader) as connection:
            channel = ApduChannel(connection, connection.atr)
            body(channel)
            apdus = channel.apdu_count
        samples.append(time.perf_counter() - start)
    return _stats(samples), apdus


def run(pcscd: Pcscd, reads: int, delay_s: float) -> None:
    today = date.today()
    card = VirtualThaiCard(CANARY, CardBehaviour(apdu_delay_s=delay_s))
    card.insert()
    try:
        pcscd.wait_card(0, present=True)
        reader = pcscd.reader_name(0)

        def anonymous(ch: ApduChannel) -> object:
            return read_thai_id(ch, demographics=True, key=None, today=today)

        def fields(ch: ApduChannel) -> object:
            return read_card_details(ch, photo=False, today=today), anonymous(ch)

        def photo(ch: ApduChannel) -> object:
            return read_card_details(ch, photo=True, today=today), anonymous(ch)

        print(f"per-APDU delay {delay_s * 1000:.0f} ms, {reads} reads each:")
        for name, body in (("view off (baseline)", anonymous), ("+ officer fields", fields),
                           ("+ fields and photo", photo)):  # fmt: skip
            figures, apdus = _timed(reader, reads, body)
            print(f"  {name:22s} {figures}  ({apdus} APDUs)")
    finally:
        card.remove()
        pcscd.wait_card(0, present=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=20)
    args = parser.parse_args()
    details = details_of(CANARY)
    renders = []
    for _ in range(args.reads):
        start = time.perf_counter()
        render_copy(details, service_th="ขอมีบัตรใหม่", office_th="สำนักงานทดสอบ", today=date.today())
        renders.append(time.perf_counter() - start)
    print(f"A4 copy render in memory ({args.reads}x): {_stats(renders)}")
    with LOCK_PATH.open("a+") as lock:
        print(f"waiting for {LOCK_PATH} (pcscd/vpcd in use by tests?)", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
        pcscd = Pcscd(Path(tempfile.mkdtemp(prefix="bench-pcscd-")))
        try:
            pcscd.ensure()
            for delay in (0.0, 0.020):
                run(pcscd, args.reads, delay)
        finally:
            pcscd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
