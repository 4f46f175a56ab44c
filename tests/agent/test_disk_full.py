"""A full disk on a real (tmpfs) filesystem: losses are counted, declared and reported.

Issue 13, defect 5: before, a rating that could not be written was only logged. Now the outbox
counts it (persisted ``lost_total``), releases its disk reserve so that an ``outbox.dropped``
naming the lost seq fits, and the heartbeat reports ``lost_events``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from agent.config import AgentConfig
from agent.errors import OutboxError
from agent.outbox import Outbox, OutboxLimits
from agent.runtime import Agent
from protocols import Channel, OutboxDropped, Rating, RatingBody, decode, new_message_id, now, topic
from tests.agent.agent_rig import config_data
from tests.fixtures.small_fs import SmallFs, fill

DEVICE = "diskfull-test-01"
EVENTS = topic(DEVICE, Channel.EVENTS)
NO_LIMITS = OutboxLimits(min_disk_free_bytes=0)


def rating(seq: int) -> Rating:
    body = RatingBody(session=None, score=3, scale=3, verified=False)
    return Rating(v=1, id=new_message_id(), device=DEVICE, ts=now(), seq=seq, body=body)


def test_a_write_on_a_full_disk_is_counted_and_declared(small_fs: SmallFs) -> None:
    fs = small_fs(8 * 1024 * 1024)
    outbox = Outbox(fs / "outbox.sqlite3", DEVICE, NO_LIMITS)
    outbox.DISK_CHECK_EVERY_S = 0.0
    assert outbox.reserve.held
    for _ in range(3):
        outbox.append(rating)
    filler = fill(fs)

    with pytest.raises(OutboxError, match="full"):
        outbox.append(rating)
    assert outbox.lost_total == 1
    assert not outbox.reserve.held  # released so the declaration fits
    waiting = [decode(EVENTS, e.payload) for e in outbox.read_from(0, 100)]
    assert [e.seq for e in waiting] == [1, 2, 3, 5]
    declared = waiting[-1]
    assert isinstance(declared, OutboxDropped)
    assert (declared.body.from_seq, declared.body.to_seq) == (4, 4)
    assert "outbox write failed" in declared.body.reason

    filler_2 = fill(fs, "filler-2")  # the released reserve is used up too
    with pytest.raises(OutboxError):  # no reserve left: counted, not declared, seq not used
        outbox.append(rating)
    assert outbox.lost_total == 2
    assert outbox.last_seq == 5

    filler.unlink()
    filler_2.unlink()  # room again: writes resume after the declared seq, the reserve is retaken
    assert outbox.append(rating).seq == 6
    assert outbox.reserve.held
    outbox.close()
    reopened = Outbox(fs / "outbox.sqlite3", DEVICE, NO_LIMITS)
    assert reopened.lost_total == 2  # persisted once the disk had room
    assert reopened.last_seq == 6
    reopened.close()


def test_the_heartbeat_reports_lost_events(small_fs: SmallFs, tmp_path: Path) -> None:
    fs = small_fs(8 * 1024 * 1024)
    data = config_data(tmp_path, "mqtt://127.0.0.1:1", device={"id": DEVICE})
    data["outbox"]["path"] = str(fs / "outbox.sqlite3")
    agent = Agent(AgentConfig.from_data(data), pin_factory=MockFactory())
    try:
        agent.session.rating_pressed(2)
        assert agent.heartbeat_body().lost_events == 0
        fill(fs)
        agent.session.rating_pressed(3)  # emit logs, does not raise
        body = agent.heartbeat_body()
        assert body.lost_events == 1
        assert body.last_seq == 3  # the rating's seq 2 is declared lost by the dropped at 3
    finally:
        agent.stop()
