"""The PC/SC side of one card session (pyscard's ``smartcard.scard`` layer), errors mapped.

Each read gets its own PC/SC context: pcsc-lite serialises calls per context, and the
watcher's context spends its life blocked in ``SCardGetStatusChange``.
"""

from __future__ import annotations

import logging

from smartcard import scard

from agent.card.errors import MuteCardError, ReadInterruptedError

_LOGGER = logging.getLogger(__name__)

_MUTE = {scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD}
# pcscd is gone or restarted: the context is dead and must be established again.
SERVICE_GONE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_F_COMM_ERROR,
}


def hresult(code: int) -> int:
    """pyscard returns HRESULTs as signed or unsigned ints depending on the call."""
    return code & 0xFFFFFFFF


def describe(code: int) -> str:
    code = hresult(code)
    try:
        text = scard.SCardGetErrorMessage(code)
    except Exception:  # an unknown code must not hide the original failure
        text = "unknown error"
    return f"{text.strip().rstrip('.')} (0x{code:08X})"


def _known(codes: set[int]) -> set[int]:
    return {hresult(c) for c in codes}


_MUTE_CODES = _known(_MUTE)


class PcscConnection:
    """A SHARED connection to the card in one reader; implements ``apdu.Transport``."""

    def __init__(self, reader: str) -> None:
        self._context: int | None = None
        self._card: int | None = None
        hr, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult(hr) != scard.SCARD_S_SUCCESS:
            raise ReadInterruptedError(f"PC/SC context: {describe(hr)}")
        self._context = context
        hr, card, protocol = scard.SCardConnect(
            context,
            reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult(hr) != scard.SCARD_S_SUCCESS:
            self.close()
            if hresult(hr) in _MUTE_CODES:
                raise MuteCardError(f"connect: {describe(hr)}")
            raise ReadInterruptedError(f"connect: {describe(hr)}")
        self._card = card
        t0 = protocol == scard.SCARD_PROTOCOL_T0
        self._pci = scard.SCARD_PCI_T0 if t0 else scard.SCARD_PCI_T1
        hr, _name, _state, _protocol, atr = scard.SCardStatus(card)
        if hresult(hr) != scard.SCARD_S_SUCCESS:
            self.close()
            raise ReadInterruptedError(f"status: {describe(hr)}")
        self.atr = bytes(atr)

    def transmit(self, apdu: bytes) -> bytes:
        if self._card is None:
            raise ReadInterruptedError("transmit on a closed connection")
        hr, response = scard.SCardTransmit(self._card, self._pci, list(apdu))
        if hresult(hr) != scard.SCARD_S_SUCCESS:
            if hresult(hr) in _MUTE_CODES:
                raise MuteCardError(f"transmit: {describe(hr)}")
            raise ReadInterruptedError(f"transmit: {describe(hr)}")
        return bytes(response)

    def close(self) -> None:
        """Disconnect (leaving the card as it is) and release the context; never raises."""
        if self._card is not None:
            hr = scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)
            if hresult(hr) != scard.SCARD_S_SUCCESS:
                _LOGGER.debug("disconnect: %s", describe(hr))
            self._card = None
        if self._context is not None:
            scard.SCardReleaseContext(self._context)
            self._context = None

    def __enter__(self) -> PcscConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
