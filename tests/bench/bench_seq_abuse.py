"""Benchmark: the cost of one hostile device's seqs per ingest batch (issue 13 item 2).

Three batches of N events through ``build_batch`` + ``write_batch`` on a fresh SQLite file:
in-order seqs (the same-run baseline), alternating seqs (1, 3, 5, ...: before the gap cap every
event opened a gap row and each batch rewrote them all), and seqs jumping towards 2**62 (each
refused as ``seq_jump``). Prints milliseconds per batch and the open gap rows left.

    .venv/bin/python tests/bench/bench_seq_abuse.py [--events 2000] [--batches 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from collector.ingest.decoder import build_batch
from collector.records import RawMessage
from collector.storage import Driver, open_driver
from collector.storage.ingest_store import write_batch
from protocols import Channel, topic
from tests.collector.conftest import make_settings
from tests.collector.devices import rating


def _messages(device: str, seqs: list[int]) -> list[RawMessage]:
    now = int(time.time() * 1000)
    name = topic(device, Channel.EVENTS)
    return [RawMessage(name, rating(device, s), i, 1, now, 1) for i, s in enumerate(seqs)]


async def _run(driver: Driver, label: str, device: str, batches: list[list[int]]) -> None:
    prepared = [_messages(device, seqs) for seqs in batches]
    started = time.perf_counter()
    for messages in prepared:
        await write_batch(driver, build_batch(messages))
    per_batch = (time.perf_counter() - started) * 1000 / len(prepared)
    gaps = await driver.fetchval(
        "SELECT count(*) FROM seq_gaps WHERE device_id = ? AND status = 'open'", device
    )
    print(f"{label:<24} {per_batch:8.1f} ms/batch   open gap rows: {gaps}")


async def main(events: int, batches: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        driver = await open_driver(make_settings(str(Path(tmp) / "bench.db")))
        try:
            n = events
            in_order = [list(range(1 + b * n, 1 + (b + 1) * n)) for b in range(batches)]
            odd = [list(range(1 + 2 * b * n, 1 + 2 * (b + 1) * n, 2)) for b in range(batches)]
            jumps = [[2**62 - b * n - i for i in range(n)] for b in range(batches)]
            await _run(driver, "in order (baseline)", "bench-order-c01", in_order)
            await _run(driver, "alternating seqs", "bench-odd-c01", odd)
            await _run(driver, "jumps towards 2**62", "bench-jump-c01", jumps)
        finally:
            await driver.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.batches))
