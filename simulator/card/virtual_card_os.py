"""The card side of the virtual Thai ID card: an OS for python3-virtualsmartcard that answers
like the real card (T=0: READ gives ``61 LL``, data comes with GET RESPONSE), plus faults.

Test and demo equipment only. It records which offsets were read so tests can prove what the
agent did not read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from virtualsmartcard.VirtualSmartcard import SmartcardOS

from agent.card import moi_layout
from agent.card.apdu import get_response_p2_for
from simulator.card.synthetic_person import SyntheticPerson

_HIST = bytes.fromhex("5448204E494420")  # "TH NID "
ATRS: dict[str, bytes] = {
    "3b67": bytes.fromhex("3B670000") + _HIST,
    "3b68": bytes.fromhex("3B680000") + _HIST + b"6",
    "3b78": bytes.fromhex("3B78180000") + _HIST + b"9",
    "3b79": bytes.fromhex("3B79180000") + _HIST + b"10",
    "3b7996": bytes.fromhex("3B79960000") + _HIST + b"17",
    "other": bytes.fromhex("3B660000") + b"OTHER1",
}

SW_OK = b"\x90\x00"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_NOT_FOUND = b"\x6a\x82"
SW_NOT_ALLOWED = b"\x69\x86"
SW_WRONG_LENGTH = b"\x67\x00"
SW_OUT_OF_FILE = b"\x6b\x00"
SW_BAD_INS = b"\x6d\x00"
SW_BAD_CLA = b"\x6e\x00"


@dataclass
class CardBehaviour:
    """How the virtual card (mis)behaves. Defaults: a well-behaved card."""

    atr: str = "3b79"
    get_response_p2: int | None = None  # None: 01 for a 3B 67 ATR, 00 otherwise
    apdu_delay_s: float = 0.0
    no_applet: bool = False
    sw_overrides: dict[str, bytes] = field(default_factory=dict)  # "select", "read@016F", ...
    chunk: int | None = None  # GET RESPONSE hands out at most this much, then 61 xx
    wrong_le: bool = False  # READ announces a wrong length: GET RESPONSE gets 6C xx
    direct_data: bool = False  # READ answers data + 90 00 (a driver did GET RESPONSE)
    mute_after: int | None = None  # answer this many APDUs, then never again
    disconnect_after: int | None = None  # answer this many APDUs, then leave the reader

    def atr_bytes(self) -> bytes:
        if self.atr in ATRS:
            return ATRS[self.atr]
        return bytes.fromhex(self.atr)


class ThaiIdCardOS(SmartcardOS):  # type: ignore[misc]
    """Answers SELECT (MOI applet), the proprietary READ ``80 B0`` and GET RESPONSE."""

    def __init__(self, person: SyntheticPerson, behaviour: CardBehaviour) -> None:
        self.person = person
        self.behaviour = behaviour
        self._file = person.moi_file()
        self._atr = behaviour.atr_bytes()
        p2 = behaviour.get_response_p2
        self._p2 = get_response_p2_for(self._atr) if p2 is None else p2
        self._selected = False
        self._pending = b""
        self._announced = 0
        self._lock = threading.Lock()
        self.reads: list[tuple[int, int]] = []
        self.commands: list[bytes] = []
        self.refused_p2: list[int] = []

    def getATR(self) -> bytes:  # noqa: N802 - the library's name
        return self._atr

    def powerUp(self) -> None:  # noqa: N802
        self.reset()

    def reset(self) -> None:
        self._selected = False
        self._pending = b""

    def execute(self, msg: bytes) -> bytes:
        with self._lock:
            self.commands.append(bytes(msg[:4]))
            return self._execute(bytes(msg))

    def _override(self, key: str) -> bytes | None:
        return self.behaviour.sw_overrides.get(key)

    def _execute(self, msg: bytes) -> bytes:
        if len(msg) < 4:
            return SW_WRONG_LENGTH
        cla, ins, p1, p2 = msg[:4]
        if ins == 0xA4 and cla == 0x00:
            return self._select(msg)
        if ins == 0xB0 and cla == 0x80:
            return self._read(msg, (p1 << 8 | p2) & 0x7FFF)
        if ins == 0xC0 and cla in (0x00, 0x80):
            return self._get_response(p2, msg[4] if len(msg) > 4 else 0)
        return SW_BAD_INS if cla in (0x00, 0x80) else SW_BAD_CLA

    def _select(self, msg: bytes) -> bytes:
        self._pending = b""
        forced = self._override("select")
        if forced is not None:
            return forced
        aid = msg[5 : 5 + msg[4]] if len(msg) > 5 else b""
        if self.behaviour.no_applet or aid != moi_layout.MOI_AID:
            self._selected = False
            return SW_NOT_FOUND
        self._selected = True
        return SW_OK

    def _read(self, msg: bytes, offset: int) -> bytes:
        self._pending = b""
        if not self._selected:
            return SW_NOT_ALLOWED
        if len(msg) < 7 or msg[4] != 0x02 or msg[5] != 0x00:
            return SW_WRONG_LENGTH
        length = msg[6] or 256
        forced = self._override(f"read@{offset:04X}") or self._override("read")
        if forced is not None:
            return forced
        if offset + length > len(self._file):
            return SW_OUT_OF_FILE
        self.reads.append((offset, length))
        data = self._file[offset : offset + length]
        if self.behaviour.direct_data:
            return data + SW_OK
        self._pending = data
        self._announced = length + 3 if self.behaviour.wrong_le else length
        return bytes([0x61, self._announced & 0xFF])

    def _get_response(self, p2: int, le: int) -> bytes:
        forced = self._override("get_response")
        if forced is not None:
            self._pending = b""
            return forced
        if not self._pending:
            return SW_NOT_ALLOWED
        if p2 != self._p2:
            self.refused_p2.append(p2)
            self._pending = b""  # like a card that drops the response on a bad command
            return SW_WRONG_P1P2
        le = le or 256
        available = len(self._pending)
        if le > available:
            return bytes([0x6C, available & 0xFF])
        give = min(le, self.behaviour.chunk or le)
        data, self._pending = self._pending[:give], self._pending[give:]
        if self._pending:
            return data + bytes([0x61, len(self._pending) & 0xFF])
        return data + SW_OK
