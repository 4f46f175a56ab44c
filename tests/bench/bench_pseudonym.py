"""Benchmark: what the cf2 pseudonym costs a counter, and what it costs an attacker.

1. Time per card read, cf2 against cf1 in the same run: the shared last step of every read
   (``outcome_from_fields``: checksum, pseudonym with today's key, validity, age band). The
   APDUs and pcscd around it are unchanged by the scheme (see bench_card.py for those).
2. Cost per guess: Argon2id(t=2, m=16 MiB, p=1) runs per second on this machine with 1 and 2
   processes, and HMAC-SHA256 (cf1) guesses per second as the baseline.
3. The brute-force estimate for one office-day key over ~10^12 citizen ids, on this machine and,
   as a stated assumption (not a measurement), on one GPU.

    .venv/bin/python tests/bench/bench_pseudonym.py [--reads 40] [--seconds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import multiprocessing
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.card.citizen_id import CitizenId
from agent.card.thai_id import outcome_from_fields
from protocols.pseudonym import DayKey, cf2_day_key, cf2_visitor_pseudonym, day_key

PEPPER = bytes(range(32))
OFFICE = "cm-mueang-chiang-mai-dol"
TODAY = date(2026, 12, 2)
CANDIDATES = 10**12  # 12 free digits; the 13th is the check digit
# Assumption for the GPU line (not measured here): a 24 GB, ~1 TB/s card. Argon2id with
# m = 16 MiB, t = 2 reads and writes each 1 KiB block about 2 x 2 times: ~64 MiB of memory
# traffic per guess, so ~1e12 B/s / 64 MiB = ~15,000 guesses/s when bandwidth-bound
# (1,500 instances fit in 24 GB). HMAC-SHA256 (cf1): ~5e9 guesses/s (hashcat-class figures).
GPU_CF2_PER_S = 15_000.0
GPU_CF1_PER_S = 5e9


def _id(n: int) -> str:
    body = f"1999{n % 10**8:08d}"
    check = (11 - sum(int(d) * (13 - i) for i, d in enumerate(body)) % 11) % 10
    return body + str(check)


def card_reads(scheme: str, reads: int) -> list[float]:
    key = cf2_day_key(PEPPER, OFFICE, TODAY) if scheme == "cf2" else day_key(PEPPER, TODAY)
    day_key_ = DayKey(scheme, key)  # type: ignore[arg-type]
    times = []
    for n in range(reads):
        started = time.perf_counter()
        outcome = outcome_from_fields(
            CitizenId(_id(n)), b"25790101", b"25300415", b"1", key=day_key_, today=TODAY
        )
        times.append(time.perf_counter() - started)
        assert outcome.read.visitor is not None
    return times


def _argon2_worker(seconds: float) -> int:
    key = cf2_day_key(PEPPER, OFFICE, TODAY)
    deadline = time.perf_counter() + seconds
    done = 0
    while time.perf_counter() < deadline:
        cf2_visitor_pseudonym(key, _id(done))
        done += 1
    return done


def _hmac_rate(seconds: float) -> float:
    key = day_key(PEPPER, TODAY)
    deadline = time.perf_counter() + seconds
    done = 0
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for n in range(done, done + 1000):
            hmac.digest(key, b"cf1|" + _id(n).encode(), hashlib.sha256)
        done += 1000
    return done / (time.perf_counter() - started)


def argon2_rate(processes: int, seconds: float) -> float:
    started = time.perf_counter()
    with multiprocessing.Pool(processes) as pool:
        counts = pool.map(_argon2_worker, [seconds] * processes)
    return sum(counts) / (time.perf_counter() - started)


def _span(seconds: float) -> str:
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:,.1f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")

    print("\n1. time per card read (outcome step: checksum, pseudonym, validity, age band)")
    for scheme in ("cf1", "cf2"):  # cf1 first: the same-run baseline
        t = card_reads(scheme, args.reads)
        p95 = statistics.quantiles(t, n=20)[18]
        print(
            f"   {scheme}: median {statistics.median(t) * 1000:8.3f} ms   "
            f"p95 {p95 * 1000:8.3f} ms   ({args.reads} reads)"
        )

    print("\n2. cost per guess on this machine")
    cf1 = _hmac_rate(args.seconds)
    print(f"   cf1 HMAC-SHA256:            {cf1:12,.0f} guesses/s (1 process, Python)")
    rates = {n: argon2_rate(n, args.seconds) for n in (1, 2)}
    for n, rate in rates.items():
        print(f"   cf2 Argon2id m=16MiB t=2:   {rate:12,.1f} guesses/s ({n} process(es))")

    best = max(rates.values())
    print(f"\n3. brute force of one office-day key over {CANDIDATES:.0e} ids (worst case)")
    print(f"   cf1, this machine:  {_span(CANDIDATES / cf1)} (and one key covered every office)")
    print(f"   cf2, this machine:  {_span(CANDIDATES / best)} (one office, one day)")
    print(f"   assumed GPU, cf1:   {_span(CANDIDATES / GPU_CF1_PER_S)} at {GPU_CF1_PER_S:.0e}/s")
    print(f"   assumed GPU, cf2:   {_span(CANDIDATES / GPU_CF2_PER_S)} at {GPU_CF2_PER_S:,.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
