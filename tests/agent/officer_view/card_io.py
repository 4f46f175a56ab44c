"""Card details read through the real APDU code from the virtual card's OS in-process (no
pcscd): for tests of the parts after the read (pairing, the copy) that need no reader."""

from __future__ import annotations

from datetime import date

from agent.card.apdu import ApduChannel
from agent.card.details import CardDetails, read_card_details
from simulator.card.synthetic_person import SyntheticPerson
from simulator.card.virtual_card_os import CardBehaviour, ThaiIdCardOS


class _OsTransport:
    def __init__(self, card: ThaiIdCardOS) -> None:
        self.card = card

    def transmit(self, apdu: bytes) -> bytes:
        return bytes(self.card.execute(apdu))


def details_of(person: SyntheticPerson, today: date | None = None) -> CardDetails:
    card = ThaiIdCardOS(person, CardBehaviour())
    channel = ApduChannel(_OsTransport(card), card.getATR())
    return read_card_details(channel, photo=True, today=today or date.today())
