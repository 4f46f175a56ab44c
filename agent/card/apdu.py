"""APDU exchange with a T=0 Thai ID card: status words, GET RESPONSE chaining, the P2 quirk.

Public readers ignore status words and decode whatever comes back (THAI-ID-CARD.md section 10);
here every status word is either handled (``90 00``, ``61 xx``, ``6C xx``) or raised as a
typed error. Only command names, offsets and status words are logged, never data.
"""

from __future__ import annotations

import logging
from typing import Protocol

from agent.card.errors import (
    CardDataError,
    CardStatusError,
    NotThaiCardError,
    ReadInterruptedError,
)

_LOGGER = logging.getLogger(__name__)

ATR_PREFIX_P2_01 = bytes.fromhex("3B67")
# GET RESPONSE rounds allowed beyond one per expected byte (6Cxx re-issues, the final one).
EXTRA_RESPONSE_ROUNDS = 4
# SELECT answers that mean "there is no such applet on this card".
_NO_APPLET = {(0x6A, 0x82), (0x6A, 0x86), (0x6D, 0x00), (0x6E, 0x00), (0x69, 0x86)}


class Transport(Protocol):
    """Sends one command APDU and returns the response (data followed by SW1 SW2)."""

    def transmit(self, apdu: bytes) -> bytes: ...


def get_response_p2_for(atr: bytes) -> int:
    """GET RESPONSE P2 by ATR: 01 for ``3B 67`` cards, 00 for every other (section 3)."""
    return 0x01 if atr.startswith(ATR_PREFIX_P2_01) else 0x00


def select_command(aid: bytes) -> bytes:
    return bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid


def read_command(offset: int, length: int) -> bytes:
    if not 0 <= offset <= 0x7FFF or not 1 <= length <= 0xFF:
        raise ValueError("offset must be 0..0x7FFF and length 1..255")
    return bytes([0x80, 0xB0, offset >> 8, offset & 0xFF, 0x02, 0x00, length])


def get_response_command(p2: int, le: int) -> bytes:
    return bytes([0x00, 0xC0, 0x00, p2, le & 0xFF])


class _FirstGetResponseRefusedError(Exception):
    """Internal: the first GET RESPONSE of a card session was refused (P2 may be wrong)."""


class ApduChannel:
    """One card session: SELECT and READ with the GET RESPONSE P2 chosen from the ATR.

    If the very first GET RESPONSE fails, the READ is re-issued (its pending response is gone)
    with the other P2 once, and the P2 that worked is kept for the rest of the session.
    """

    def __init__(self, transport: Transport, atr: bytes) -> None:
        self._transport = transport
        self.p2 = get_response_p2_for(atr)
        self._p2_confirmed = False
        self.apdu_count = 0

    def _send(self, apdu: bytes, name: str) -> tuple[bytes, int, int]:
        response = self._transport.transmit(apdu)
        self.apdu_count += 1
        if len(response) < 2:
            # What a card pulled during the command looks like through vpcd (and some readers).
            raise ReadInterruptedError(f"{name}: no status word (card pulled out?)")
        sw1, sw2 = response[-2], response[-1]
        _LOGGER.debug("%s -> %02X %02X (%d data bytes)", name, sw1, sw2, len(response) - 2)
        return response[:-2], sw1, sw2

    def select(self, aid: bytes) -> None:
        """Select an applet by AID; a card without it raises :class:`NotThaiCardError`."""
        _, sw1, sw2 = self._send(select_command(aid), "SELECT")
        if (sw1, sw2) == (0x90, 0x00) or sw1 == 0x61:
            return
        if (sw1, sw2) in _NO_APPLET:
            raise NotThaiCardError(f"SELECT MOI applet refused with {sw1:02X} {sw2:02X}")
        raise CardStatusError("SELECT", sw1, sw2)

    def read(self, offset: int, length: int) -> bytes:
        """Read ``length`` bytes at ``offset`` of the selected applet's file."""
        try:
            data = self._read_once(offset, length)
        except _FirstGetResponseRefusedError:
            self.p2 ^= 0x01
            _LOGGER.info("GET RESPONSE refused; retrying the read with P2=%02X", self.p2)
            try:
                data = self._read_once(offset, length)
            except _FirstGetResponseRefusedError as exc:
                raise CardStatusError("GET RESPONSE", *exc.args) from None
        if len(data) != length:
            raise CardDataError(
                f"READ at 0x{offset:04X}: card returned {len(data)} bytes, expected {length}"
            )
        return data

    def _read_once(self, offset: int, length: int) -> bytes:
        name = f"READ 0x{offset:04X}+{length}"
        data, sw1, sw2 = self._send(read_command(offset, length), name)
        if (sw1, sw2) == (0x90, 0x00):
            return data  # the reader or driver already fetched the response
        if sw1 != 0x61:
            raise CardStatusError(name, sw1, sw2)
        return self._get_response(sw2, length)

    def _get_response(self, le: int, expected: int) -> bytes:
        collected = b""
        for _ in range(expected + EXTRA_RESPONSE_ROUNDS):
            data, sw1, sw2 = self._send(get_response_command(self.p2, le), "GET RESPONSE")
            if sw1 == 0x6C:
                le = sw2  # wrong Le: repeat with the length the card asks for
                continue
            if (sw1, sw2) != (0x90, 0x00) and sw1 != 0x61:
                if not self._p2_confirmed and not collected:
                    raise _FirstGetResponseRefusedError(sw1, sw2)
                raise CardStatusError("GET RESPONSE", sw1, sw2)
            self._p2_confirmed = True
            collected += data
            if sw1 == 0x90:
                return collected
            le = sw2
        raise CardDataError("GET RESPONSE: the card kept announcing more data")
