"""Transport faults on the real path: broker, collector and agent killed; the network cut,
stalled, delayed and dropped mid-packet. Expected for each: 0 lost, 0 duplicated, 0 crashes."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.outbox import Outbox
from protocols import Rating, RatingBody, new_message_id, now
from tests.agent.agent_rig import InProcessAgent, start_agent_process, wait_until, write_toml
from tests.faults.conftest import FULL
from tests.faults.system import READY_S, FaultSystem, agent_crashes, press_stream
from tests.faults.table import FaultTable
from tests.fixtures.broker import MosquittoBroker

pytestmark = pytest.mark.slow

EVENTS = 400 if FULL else 80
RATE = 50.0
SETTLE_S = 120.0
KILLS = 3 if FULL else 2


@pytest.fixture
def system(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[FaultSystem]:
    s = FaultSystem(tmp_path, mosquitto).start()
    yield s
    s.stop()


def run_stream_with(
    system: FaultSystem,
    table: FaultTable,
    fault: str,
    inject: Callable[[], None],
) -> None:
    device = "flt-" + re.sub(r"[^a-z0-9]+", "-", fault.lower()).strip("-")[:40]
    config = system.agent_config(device)
    with InProcessAgent(config, reader=False) as rig:
        rig.wait_connected()
        presses = press_stream(rig, EVENTS, RATE)
        inject()
        presses.join()
        sent = rig.agent.outbox.last_seq
        system.wait_stored(device, sent, SETTLE_S)
        crashes = agent_crashes(rig)
    row = table.add(system.row(fault, device, sent, crashes=crashes))
    assert sent == EVENTS
    assert (row.lost, row.duplicated, row.crashes) == (0, 0, 0), row


def test_broker_sigkill_and_restart(system: FaultSystem, fault_table: FaultTable) -> None:
    def inject() -> None:
        time.sleep(1.0)
        system.broker.kill()
        time.sleep(1.0)
        system.broker.start()

    run_stream_with(system, fault_table, "broker SIGKILL + restart", inject)


def test_collector_sigkill_mid_batch(system: FaultSystem, fault_table: FaultTable) -> None:
    def inject() -> None:
        for _ in range(KILLS):
            time.sleep(0.5)
            system.collector.kill()
            system.collector.start()
            system.collector.wait_ready(READY_S)

    run_stream_with(system, fault_table, f"collector SIGKILL x{KILLS} mid-batch", inject)


def test_network_partition(system: FaultSystem, fault_table: FaultTable) -> None:
    cut_s = 600.0 if FULL else 3.0

    def inject() -> None:
        time.sleep(0.5)
        system.proxy.cut()
        time.sleep(cut_s)
        system.proxy.heal()

    run_stream_with(system, fault_table, f"partition (cut {cut_s:.0f} s)", inject)


def test_network_stall(system: FaultSystem, fault_table: FaultTable) -> None:
    def inject() -> None:
        time.sleep(0.5)
        system.proxy.stall()  # keepalive 5 s: the agent notices within ~7.5 s
        time.sleep(9.0)
        system.proxy.heal()

    run_stream_with(system, fault_table, "stall (black hole 9 s)", inject)


def test_network_delay_and_drop_mid_packet(system: FaultSystem, fault_table: FaultTable) -> None:
    def inject() -> None:
        system.proxy.delay_s = 0.05
        time.sleep(1.0)
        system.proxy.delay_s = 0.0
        for _ in range(3):
            time.sleep(0.5)
            system.proxy.drop_mid_packet()

    run_stream_with(system, fault_table, "delay 50 ms + drop mid-packet x3", inject)


def test_agent_sigkill_mid_drain(
    system: FaultSystem, fault_table: FaultTable, tmp_path: Path
) -> None:
    device = "flt-agent-sigkill"
    config = system.agent_config(device)
    # Big enough, and slowed by the proxy (each 64 KiB chunk held 0.2 s each way), that the drain
    # takes seconds: unthrottled, a few hundred events drain in under a second and the kills
    # would land after the drain instead of in it.
    backlog = EVENTS * 25
    outbox = Outbox(config.outbox.path, device)
    body = RatingBody(session=None, score=3, scale=5, verified=False)
    for _ in range(backlog):  # a backlog written while offline
        outbox.append(
            lambda seq: Rating(
                v=1, id=new_message_id(), device=device, ts=now(), seq=seq, body=body
            )
        )
    outbox.close()
    data = config.dump()
    data["mqtt"].pop("password", None)
    config_path = write_toml(tmp_path / "agent.toml", data)
    log = tmp_path / "agent.log"
    kills = 0
    system.proxy.delay_s = 0.2
    proc = start_agent_process(config_path, log)
    try:
        for _ in range(2):
            before = system.counts(device).distinct
            wait_until(lambda b=before: system.counts(device).distinct > b, 30, "no progress")
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            at_kill = system.counts(device).distinct
            assert at_kill < backlog, "the drain finished before the kill: not a mid-drain kill"
            kills += 1
            proc = start_agent_process(config_path, log)
        system.proxy.heal()
        system.wait_stored(device, backlog, SETTLE_S)
    finally:
        proc.terminate()
        proc.wait(15)
    row = fault_table.add(system.row("agent SIGKILL x2 mid-drain", device, backlog))
    assert kills == 2
    assert (row.lost, row.duplicated, row.crashes) == (0, 0, 0), row
