"""The cuttable uplink (against a real broker) and the reader that can fail."""

from __future__ import annotations

import random
import socket
from typing import Any

from agent.card.day_key_store import StaticDayKeys, office_today
from agent.card.interface import CardFault, CardRead, ReaderStatus
from agent.card.simulated import SimulatedCardSource
from protocols.day_keys import make_day_keys
from simulator.behaviour import synthetic_visitor
from simulator.link import CuttableLink
from simulator.reader import FaultableReader


def _mqtt_connect_packet() -> bytes:
    # CONNECT, MQTT 3.1.1, clean session, keepalive 10, client id "lnk"
    variable = b"\x00\x04MQTT\x04\x02\x00\x0a" + b"\x00\x03lnk"
    return bytes([0x10, len(variable)]) + variable


def _connack(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    return sock.recv(4)


def test_relays_to_the_broker_and_cut_drops_and_refuses(mosquitto: Any) -> None:
    link = CuttableLink(mosquitto.host, mosquitto.port)
    link.start()
    try:
        with socket.create_connection(("127.0.0.1", link.port), timeout=5) as sock:
            sock.sendall(_mqtt_connect_packet())
            assert _connack(sock) == b"\x20\x02\x00\x00"  # accepted: relayed both ways
            link.cut()
            sock.settimeout(5)
            assert sock.recv(16) == b""  # dropped without a DISCONNECT from the client
        with socket.create_connection(("127.0.0.1", link.port), timeout=5) as sock:
            sock.settimeout(5)
            assert sock.recv(16) == b""  # refused while cut
        link.restore()
        with socket.create_connection(("127.0.0.1", link.port), timeout=5) as sock:
            sock.sendall(_mqtt_connect_packet())
            assert _connack(sock) == b"\x20\x02\x00\x00"
    finally:
        link.stop()


class Listener:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def card_inserted(self, read: CardRead) -> None:
        self.calls.append(("inserted", read))

    def card_removed(self) -> None:
        self.calls.append(("removed", None))

    def card_fault(self, fault: CardFault) -> None:
        self.calls.append(("fault", fault.code))

    def reader_status(self, status: ReaderStatus) -> None:
        self.calls.append(("status", status))


def test_reader_fault_reports_error_refuses_cards_and_recovers() -> None:
    keys = StaticDayKeys(make_day_keys(b"p" * 32, office_today(), 1))
    reader = FaultableReader(SimulatedCardSource(day_keys=keys))
    listener = Listener()
    reader.start(listener)
    person = synthetic_visitor(random.Random(1))
    assert reader.insert(person)
    assert listener.calls[-1][0] == "inserted"
    reader.break_down()
    assert reader.status == "error"
    assert ("removed", None) in listener.calls
    assert ("fault", "reader_lost") in listener.calls
    assert listener.calls[-1] == ("status", "error")
    before = len(listener.calls)
    assert not reader.insert(person)
    assert len(listener.calls) == before
    reader.repair()
    assert reader.status == "present"
    assert listener.calls[-1] == ("status", "present")
    assert reader.insert(person)
    reader.stop()
