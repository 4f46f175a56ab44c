"""Delivery logic with a transport double (no broker): order, window, acks, republish."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.delivery import Delivery
from agent.outbox import Outbox
from protocols import Channel, Rating, RatingBody, decode, new_message_id, now, topic
from tests.agent.doubles import FakeClock

DEVICE = "delivery-test-01"


class Transport:
    """Records what was handed to 'the broker'; mids count up like paho's."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, int, str]] = []  # (mid, seq, id)
        self.online = True

    def publish_event(self, payload: bytes) -> int | None:
        if not self.online:
            return None
        event = decode(topic(DEVICE, Channel.EVENTS), payload)
        mid = len(self.sent) + 1
        self.sent.append((mid, event.seq, str(event.id)))  # type: ignore[union-attr]
        return mid


def fill(outbox: Outbox, count: int) -> None:
    body = RatingBody(session=None, score=1, scale=3, verified=False)
    for _ in range(count):
        outbox.append(
            lambda seq: Rating(
                v=1, id=new_message_id(), device=DEVICE, ts=now(), seq=seq, body=body
            )
        )


def rig(tmp_path: Path, window: int = 10) -> tuple[Outbox, Delivery, Transport, FakeClock]:
    outbox, clock = Outbox(tmp_path / "o.sqlite3", DEVICE), FakeClock()
    delivery = Delivery(outbox, clock, window=window, republish_after_s=30)
    transport = Transport()
    delivery.connected(transport)
    return outbox, delivery, transport, clock


def test_window_bounds_what_is_outstanding(tmp_path: Path) -> None:
    outbox, delivery, transport, _clock = rig(tmp_path, window=10)
    fill(outbox, 35)
    delivery.pump()
    assert [seq for _m, seq, _i in transport.sent] == list(range(1, 11))
    assert delivery.in_flight == 10
    for mid in (1, 2, 3):
        delivery.puback(mid, True)
    delivery.pump()
    assert delivery.in_flight == 10  # three freed, three more sent
    assert [seq for _m, seq, _i in transport.sent] == list(range(1, 14))
    while len(transport.sent) < 35:  # PUBACK everything as it goes: strictly in seq order
        for mid, _seq, _id in transport.sent[-delivery.in_flight :]:
            delivery.puback(mid, True)
        delivery.pump()
        assert delivery.in_flight <= 10
    assert [seq for _m, seq, _i in transport.sent] == list(range(1, 36))


def test_acks_remove_and_lower_acks_are_ignored(tmp_path: Path) -> None:
    outbox, delivery, transport, _clock = rig(tmp_path)
    fill(outbox, 5)
    delivery.pump()
    delivery.acked(4)
    delivery.pump()
    assert outbox.depth == 1
    delivery.acked(2)  # older value from another collector process
    delivery.pump()
    assert outbox.acked_seq == 4
    assert len(transport.sent) == 5


def test_republish_after_timeout_with_same_id_and_seq(tmp_path: Path) -> None:
    outbox, delivery, transport, clock = rig(tmp_path)
    fill(outbox, 3)
    delivery.pump()
    for mid in (1, 2, 3):
        delivery.puback(mid, True)
    delivery.acked(1)
    delivery.pump()
    clock.advance(29)
    delivery.pump()
    assert len(transport.sent) == 3
    clock.advance(1)
    delivery.pump()
    first = {seq: message_id for _m, seq, message_id in transport.sent[:3]}
    again = transport.sent[3:]
    assert [seq for _m, seq, _i in again] == [2, 3]  # from the lowest unacknowledged seq
    assert all(first[seq] == message_id for _m, seq, message_id in again)
    assert delivery.republished_rounds == 1


def test_reconnect_resends_everything_unacknowledged(tmp_path: Path) -> None:
    outbox, delivery, transport, _clock = rig(tmp_path)
    fill(outbox, 4)
    delivery.pump()
    delivery.puback(1, True)
    delivery.acked(1)
    delivery.pump()
    transport.online = False
    delivery.disconnected()
    fill(outbox, 2)  # events keep coming while offline
    delivery.pump()
    assert len(transport.sent) == 4
    transport.online = True
    delivery.connected(transport)
    delivery.pump()
    assert [seq for _m, seq, _i in transport.sent[4:]] == [2, 3, 4, 5, 6]


def test_window_limit_is_validated(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", DEVICE)
    with pytest.raises(ValueError, match="16-bit"):
        Delivery(outbox, FakeClock(), window=70000, republish_after_s=1)
