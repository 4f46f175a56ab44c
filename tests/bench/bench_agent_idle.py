"""Benchmark: idle cost of ``python -m agent run`` over 60 s (connected, nothing happening).

Starts a private Mosquitto and the real agent process (mock pins, no card reader, no gpsd,
heartbeat every 60 s), waits until it is online, then samples RSS and CPU time with psutil.
Baseline in the same run: a Python interpreter that imports the agent's modules and sleeps
(the memory any Python agent would need before doing anything).

    .venv/bin/python tests/bench/bench_agent_idle.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from tests.agent.agent_rig import config_data, write_toml  # noqa: E402
from tests.agent.collector_double import CollectorDouble  # noqa: E402
from tests.fixtures.broker import MosquittoBroker  # noqa: E402

DEVICE = "it-counter-01"  # the rig's device id


def measure(proc: psutil.Process, seconds: float, label: str) -> tuple[float, float, float]:
    """(cpu % of one core, mean RSS MB, max RSS MB) over ``seconds``."""
    t0, cpu0 = time.monotonic(), sum(proc.cpu_times()[:2])
    rss: list[float] = []
    while (elapsed := time.monotonic() - t0) < seconds:
        rss.append(proc.memory_info().rss / 1e6)
        time.sleep(1)
        if int(elapsed) % 10 == 9:
            print(f"  {label}: {elapsed + 1:4.0f}/{seconds:.0f} s", flush=True)
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    return 100 * cpu / (time.monotonic() - t0), sum(rss) / len(rss), max(rss)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        work = Path(tmp)
        broker = MosquittoBroker(work / "broker")
        broker.start()
        collector = CollectorDouble(broker.host, broker.port, DEVICE, persistent=False).start()
        config = write_toml(work / "agent.toml", config_data(work, broker.url))
        log = (work / "agent.log").open("wb")
        agent = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(config)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        baseline = subprocess.Popen(
            [sys.executable, "-c", "import agent.runtime, time; time.sleep(3600)"], cwd=ROOT
        )
        try:
            deadline = time.monotonic() + 20
            while not collector.messages("state") and time.monotonic() < deadline:
                time.sleep(0.1)
            if not collector.messages("state"):
                raise SystemExit("agent did not come online: " + (work / "agent.log").read_text())
            time.sleep(3)  # settle after start-up
            print(f"agent pid {agent.pid} online; measuring {args.seconds:.0f} s")
            cpu, rss, rss_max = measure(psutil.Process(agent.pid), args.seconds, "agent")
            _bcpu, brss, _bmax = measure(psutil.Process(baseline.pid), 3, "baseline")
        finally:
            for proc in (agent, baseline):
                proc.terminate()
                proc.wait(15)
            collector.stop()
            broker.stop()
    print(
        f"agent run, idle      CPU {cpu:5.2f} % of one core   RSS mean {rss:6.1f} MB"
        f"   max {rss_max:6.1f} MB"
    )
    print(f"baseline (imports)                              RSS      {brss:6.1f} MB")


if __name__ == "__main__":
    main()
