"""The outbox: seq assignment, acks, limits with outbox.dropped, restarts, and kill -9."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.errors import OutboxError
from agent.outbox import Outbox, OutboxLimits
from protocols import Channel, OutboxDropped, Rating, RatingBody, decode, new_message_id, now, topic

ROOT = Path(__file__).resolve().parents[2]
DEVICE = "outbox-test-01"
EVENTS_TOPIC = topic(DEVICE, Channel.EVENTS)


def rating(seq: int) -> Rating:
    body = RatingBody(session=None, score=2, scale=3, verified=False)
    return Rating(v=1, id=new_message_id(), device=DEVICE, ts=now(), seq=seq, body=body)


def stored(outbox: Outbox) -> list[int]:
    return [e.seq for e in outbox.read_from(0, 10**9)]


def test_append_assigns_contiguous_seqs_and_persists(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    outbox = Outbox(path, DEVICE)
    events = [outbox.append(rating) for _ in range(5)]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]  # type: ignore[attr-defined]
    assert outbox.depth == 5
    assert outbox.last_seq == 5
    payload = outbox.read_from(3, 1)[0].payload
    assert decode(EVENTS_TOPIC, payload).seq == 3  # type: ignore[union-attr]
    outbox.close()
    reopened = Outbox(path, DEVICE)
    assert reopened.last_seq == 5
    assert reopened.depth == 5
    assert reopened.append(rating).seq == 6  # type: ignore[attr-defined]
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert reopened._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_ack_removes_covered_events_and_only_grows(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", DEVICE)
    for _ in range(10):
        outbox.append(rating)
    assert outbox.ack(4)
    assert stored(outbox) == [5, 6, 7, 8, 9, 10]
    assert not outbox.ack(2)  # an older acked_seq from another collector is ignored
    assert not outbox.ack(4)
    assert stored(outbox) == [5, 6, 7, 8, 9, 10]
    assert outbox.acked_seq == 4
    outbox.ack(10)
    assert outbox.depth == 0
    assert outbox.oldest_age_s() is None
    # Seqs are never reused after everything was acknowledged, also after a restart.
    outbox.close()
    reopened = Outbox(tmp_path / "o.sqlite3", DEVICE)
    assert reopened.append(rating).seq == 11  # type: ignore[attr-defined]
    assert reopened.acked_seq == 10


def test_ack_beyond_last_seq_moves_seq_on(tmp_path: Path) -> None:
    """A replaced database must not reuse seqs the collector already has."""
    outbox = Outbox(tmp_path / "o.sqlite3", DEVICE)
    outbox.append(rating)
    outbox.ack(500)
    assert outbox.append(rating).seq == 501  # type: ignore[attr-defined]


def test_oldest_age(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", DEVICE)
    outbox.append(rating)
    time.sleep(0.05)
    age = outbox.oldest_age_s()
    assert age is not None
    assert 0.04 <= age < 5


def test_limit_drops_oldest_range_and_says_so(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", DEVICE, OutboxLimits(max_events=20))
    for _ in range(20):
        outbox.append(rating)
    outbox.append(rating)  # over the limit: the oldest tenth (2) goes, a drop event is written
    seqs = stored(outbox)
    assert seqs == list(range(3, 23))
    drop = decode(EVENTS_TOPIC, outbox.read_from(21, 1)[0].payload)
    assert isinstance(drop, OutboxDropped)
    assert (drop.body.from_seq, drop.body.to_seq) == (1, 2)
    assert drop.body.reason == "outbox max_events"
    assert outbox.dropped_total == 2


def test_later_drop_covers_earlier_declared_gaps(tmp_path: Path) -> None:
    """When a drop event itself is dropped, the next one declares its range too."""
    outbox = Outbox(tmp_path / "o.sqlite3", DEVICE, OutboxLimits(max_events=10))
    for _ in range(60):
        outbox.append(rating)
    events = [decode(EVENTS_TOPIC, e.payload) for e in outbox.read_from(0, 100)]
    drops = [e for e in events if isinstance(e, OutboxDropped)]
    assert drops
    covered = set()
    for d in drops:
        covered |= set(range(d.body.from_seq, d.body.to_seq + 1))
    present = {e.seq for e in events}
    # every seq 1..last is either still present or declared dropped
    assert set(range(1, outbox.last_seq + 1)) <= covered | present


def test_byte_limit(tmp_path: Path) -> None:
    size = len(rating(1).model_dump_json())
    outbox = Outbox(tmp_path / "o.sqlite3", DEVICE, OutboxLimits(max_bytes=size * 30))
    for _ in range(40):
        outbox.append(rating)
    assert outbox.depth <= 31
    assert outbox.dropped_total > 0


def test_disk_floor(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", DEVICE, OutboxLimits(min_disk_free_bytes=2**62))
    outbox.append(rating)
    outbox.append(rating)
    assert outbox.dropped_total == 1
    drop = decode(EVENTS_TOPIC, outbox.read_from(0, 10)[0].payload)
    assert isinstance(drop, OutboxDropped)
    assert drop.body.reason == "outbox disk_low"


@pytest.mark.slow
def test_survives_kill_9_at_random_points(tmp_path: Path) -> None:
    """25 cycles of a real writer process SIGKILLed at random moments."""
    path = tmp_path / "kill.sqlite3"
    rng = random.Random(4)
    committed: dict[int, str] = {}
    for _cycle in range(25):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.agent.outbox_writer", str(path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        # Wait until it writes, then kill after a random short time.
        first = proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(proc.pid, signal.SIGKILL)
        rest = proc.stdout.read()
        proc.wait()
        for line in [first, *rest.splitlines()]:
            if line.strip() and len(line.split()) == 2:
                seq, message_id = line.split()
                assert int(seq) not in committed, f"seq {seq} handed out twice"
                committed[int(seq)] = message_id
    outbox = Outbox(path, "kill-test-01")
    rows = outbox.read_from(0, 10**9)
    seqs = [r.seq for r in rows]
    assert seqs == list(range(outbox.acked_seq + 1, outbox.last_seq + 1)), "gap or duplicate"
    assert outbox.last_seq >= max(committed)
    # Nothing committed was lost (everything above the ack is still there) or rewritten.
    for row in rows:
        event = decode("cf/v1/devices/kill-test-01/events", row.payload)
        assert event.seq == row.seq  # type: ignore[union-attr]
        if row.seq in committed:
            assert str(event.id) == committed[row.seq]  # type: ignore[union-attr]
    missing = [s for s in committed if s > outbox.acked_seq and s not in set(seqs)]
    assert not missing
    # Seqs run on across restarts: the only seqs never reported are those committed just
    # before a kill (at most one per cycle), never a hole from a reused or skipped counter.
    unreported = set(range(1, max(committed) + 1)) - set(committed)
    assert len(unreported) <= 25
    assert len(committed) > 100


def test_unusable_path_is_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(OutboxError, match=r"outbox .*not-a-dir/o.sqlite3: cannot open"):
        Outbox(blocker / "o.sqlite3", DEVICE)
