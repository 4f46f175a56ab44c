"""Faults on the agent itself: a full disk (a real tmpfs filled to ENOSPC) and its wall clock
jumping a day forward and back. Nothing may vanish without trace: an event the disk could not
take is counted (heartbeat ``lost_events``) and declared (``outbox.dropped``); a jumped
timestamp is either stored or dead-lettered with a reason, never silently dropped."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.clock import SystemClock
from tests.agent.agent_rig import InProcessAgent, wait_until
from tests.faults.conftest import FULL
from tests.faults.system import FaultSystem, agent_crashes, press_stream
from tests.faults.table import FaultTable
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.small_fs import SmallFs, fill

pytestmark = pytest.mark.slow

EVENTS = 300 if FULL else 120


@pytest.fixture
def system(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[FaultSystem]:
    s = FaultSystem(tmp_path, mosquitto).start()
    yield s
    s.stop()


def ratings_stored(system: FaultSystem, device: str) -> int:
    with sqlite3.connect(system.db, timeout=10) as conn:
        return int(
            conn.execute(
                "SELECT count(DISTINCT seq) FROM events WHERE device_id = ? AND type = 'rating'",
                (device,),
            ).fetchone()[0]
        )


def test_disk_full_on_the_agent(
    system: FaultSystem, fault_table: FaultTable, small_fs: SmallFs
) -> None:
    device = "flt-disk-full"
    fs = small_fs(8 * 1024 * 1024)
    config = system.agent_config(device, outbox={"path": str(fs / "outbox.sqlite3")})
    with InProcessAgent(config, reader=False) as rig:
        rig.wait_connected()
        press_stream(rig, EVENTS // 2, 50).join()
        fillers = [fill(fs)]
        press_stream(rig, EVENTS // 8, 50).join()  # the first fails: reserve released, declared
        fillers.append(fill(fs, "filler-2"))  # the reserve's runway used up too
        press_stream(rig, EVENTS // 4 - EVENTS // 8, 50).join()
        declared = rig.agent.outbox.lost_total
        for filler in fillers:
            filler.unlink()
        press_stream(rig, EVENTS - EVENTS // 2 - EVENTS // 4, 50).join()
        # Every seq the outbox handed out is settled once the collector has acked the last one
        # (acks follow commits); a lost event's seq is never stored, so waiting for last_seq
        # distinct rows would only run into the timeout.
        outbox = rig.agent.outbox
        wait_until(lambda: outbox.acked_seq >= outbox.last_seq, 60, "the backlog was not acked")
        system.wait_stored(device, outbox.last_seq - declared, 60)
        heartbeat = rig.agent.heartbeat_body()
        crashes = agent_crashes(rig)
    stored = ratings_stored(system, device)
    row = system.row("agent disk full", device, EVENTS, crashes=crashes)
    row.stored = stored
    row.lost = EVENTS - stored - declared  # lost WITHOUT trace
    row.note = f"declared lost (heartbeat lost_events, outbox.dropped): {declared}"
    fault_table.add(row)
    assert declared > 0, "the disk never filled: the test injected nothing"
    assert heartbeat.lost_events == declared
    assert (row.lost, row.duplicated, row.crashes) == (0, 0, 0), row


class JumpingClock(SystemClock):
    """The real clock, with the wall clock (message ``ts``) shifted by ``offset``."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return super().now() + self.offset


def test_clock_jumps_on_the_agent(system: FaultSystem, fault_table: FaultTable) -> None:
    device = "flt-clock-jumps"
    clock = JumpingClock()
    config = system.agent_config(device)
    with InProcessAgent(config, reader=False, clock=clock) as rig:
        rig.wait_connected()
        third = EVENTS // 3
        press_stream(rig, third, 50).join()
        clock.offset = timedelta(days=1)  # forward
        press_stream(rig, third, 50).join()
        clock.offset = timedelta(days=-1)  # and back
        press_stream(rig, EVENTS - 2 * third, 50).join()
        time.sleep(0.2)
        sent = rig.agent.outbox.last_seq
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = system.counts(device).distinct + system.dead_letters(device)
            if done >= sent:
                break
            time.sleep(0.2)
        crashes = agent_crashes(rig)
    dead = system.dead_letters(device)
    row = system.row("agent clock +1 day / -1 day", device, sent, crashes=crashes)
    row.lost = sent - row.stored - dead
    row.note = f"dead-lettered with a reason: {dead}"
    fault_table.add(row)
    assert sent == EVENTS
    assert (row.lost, row.duplicated, row.crashes) == (0, 0, 0), row
