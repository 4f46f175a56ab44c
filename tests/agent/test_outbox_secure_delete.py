"""PRAGMA secure_delete on the outbox: an acknowledged event's bytes leave the files on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agent.outbox import Outbox
from protocols import SessionStarted, SessionStartedBody, new_message_id, now

DEVICE = "outbox-secure-01"


def _started(visitor: str) -> object:
    def build(seq: int) -> SessionStarted:
        body = SessionStartedBody(session=new_message_id(), visitor=visitor, card_valid=True)
        return SessionStarted(v=1, id=new_message_id(), device=DEVICE, ts=now(), seq=seq, body=body)

    return build


def _on_disk(path: Path) -> bytes:
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_the_file_check_sees_a_plain_delete(tmp_path: Path) -> None:
    """Control: with secure_delete OFF a deleted row's bytes stay in the file, so the checks
    below do detect leftovers (Debian's SQLite defaults to ON; the outbox does not rely on it)."""
    path = tmp_path / "plain.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA secure_delete=OFF")
    db.execute("CREATE TABLE t (v TEXT)")
    db.execute("INSERT INTO t VALUES ('gonegonegonegonegonegone22'), ('kept')")
    db.execute("DELETE FROM t WHERE v LIKE 'gone%'")
    db.close()
    assert b"gonegonegonegonegonegone22" in path.read_bytes()


def test_acked_events_are_overwritten_not_just_unlinked(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path, DEVICE)
    assert outbox._db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    gone = "gonegonegonegonegonegone22"
    kept = "keptkeptkeptkeptkeptkept22"
    outbox.append(_started(gone))  # type: ignore[arg-type]
    outbox.append(_started(kept))  # type: ignore[arg-type]
    outbox._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    assert gone.encode() in path.read_bytes()  # it really was written to the database file
    assert outbox.ack(1)
    outbox.close()  # the last connection checkpoints the zeroed pages into the file
    data = _on_disk(path)
    assert gone.encode() not in data
    assert kept.encode() in data  # the unacknowledged event is still there


def test_an_emptied_outbox_leaves_no_event_in_the_wal_either(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path, DEVICE)
    visitor = "walwalwalwalwalwalwalwalwa"
    for _ in range(3):
        outbox.append(_started(visitor))  # type: ignore[arg-type]
    assert visitor.encode() in _on_disk(path)
    assert outbox.ack(3)  # the outbox is empty: WAL truncated while the agent keeps running
    assert visitor.encode() not in _on_disk(path)
    outbox.close()
