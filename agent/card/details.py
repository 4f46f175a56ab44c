"""The officer view's read: the card's printed data (names, dates, address, photo) and checks.

Only with ``[officer_view] enabled`` (the deploying agency's PDPA decision, docs/OFFICER-VIEW.md):
these fields are personal data and exist only in the :class:`CardDetails` object handed to
the officer view, in memory, until the card leaves. They are never logged (``repr`` shows the
masked id only), never part of a :class:`~agent.card.interface.CardRead`, never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from agent.card import moi_layout
from agent.card.apdu import ApduChannel
from agent.card.card_text import decode_card_text, split_name
from agent.card.citizen_id import is_valid_citizen_id, mask_citizen_id
from agent.card.dates import LIFELONG, card_is_valid, parse_be_date
from agent.card.errors import CardDataError

ExpiryState = Literal["valid", "expired", "lifelong", "unknown"]
CHUNK = 0xFF  # the largest READ the card answers in one go
JPEG_START = b"\xff\xd8"
JPEG_END = b"\xff\xd9"


@dataclass(frozen=True, slots=True)
class CardChecks:
    """What the counter can verify itself: the MOI applet answered SELECT, the id's check
    digit, and the expiry (``lifelong`` for ``99999999``)."""

    applet: bool
    check_digit: bool
    expiry: ExpiryState


@dataclass(frozen=True, slots=True, repr=False)
class CardDetails:
    """The card's data for the officer's eyes. Dates are card-format (``YYYYMMDD`` BE)."""

    citizen_id: str
    name_th: tuple[str, ...]
    name_en: tuple[str, ...]
    birth_date: str
    sex: str
    issue_date: str
    expiry_date: str
    address: tuple[str, ...]
    issuer: str
    checks: CardChecks
    photo: bytes | None = field(default=None)

    def __repr__(self) -> str:
        return f"CardDetails({mask_citizen_id(self.citizen_id)}, checks={self.checks})"

    __str__ = __repr__


class CardDetailsListener(Protocol):
    """Receives the officer view's reads; called on the card source's threads."""

    def details_reading(self) -> None:
        """A card was inserted and is being read."""

    def details_read(self, details: CardDetails) -> None:
        """The read finished and the card is still in."""

    def details_failed(self, code: str) -> None:
        """The read failed (``read_interrupted`` for a card pulled mid-read, ``not_thai_card``,
        ``mute_card``, ``card_error``...); no data."""

    def details_cleared(self) -> None:
        """The card left the reader."""


def expiry_state(raw: bytes, today: date) -> ExpiryState:
    if raw.rstrip(b" \x00") == LIFELONG:
        return "lifelong"
    try:
        expiry = parse_be_date(raw, "expiry date")
    except CardDataError:
        return "unknown"
    return "valid" if card_is_valid(expiry, today) else "expired"


def cut_photo(raw: bytes) -> bytes | None:
    """The JPEG at the start of the photo area (cut after its end marker), or None when the
    area holds no JPEG (a card without photo). Never trims anything else (section 10)."""
    if not raw.startswith(JPEG_START):
        return None
    end = raw.rfind(JPEG_END)
    return raw[: end + 2] if end > 0 else None


def _read_long(channel: ApduChannel, offset: int, length: int) -> bytes:
    parts = []
    done = 0
    while done < length:
        size = min(CHUNK, length - done)
        parts.append(channel.read(offset + done, size))
        done += size
    return b"".join(parts)


def _ascii(raw: bytes) -> str:
    return raw.rstrip(b" \x00").decode("ascii", errors="replace")


def read_card_details(channel: ApduChannel, *, photo: bool, today: date) -> CardDetails:
    """SELECT the MOI applet and read what the officer sees (section 4 offsets; the address
    as its full 160 bytes, the photo as 5118 bytes in 255-byte reads)."""
    channel.select(moi_layout.MOI_AID)
    m = moi_layout
    citizen_id = _ascii(channel.read(m.CITIZEN_ID.offset, m.CITIZEN_ID.length))
    names = channel.read(m.NAME_TH.offset, m.NAME_TH.length + m.NAME_EN.length)
    dates = channel.read(m.BIRTH_DATE.offset, m.BIRTH_DATE.length + m.SEX.length)
    issuer = channel.read(m.ISSUER.offset, m.ISSUER.length)
    validity = channel.read(m.ISSUE_DATE.offset, m.ISSUE_DATE.length + m.EXPIRY_DATE.length)
    address = channel.read(m.ADDRESS.offset, m.ADDRESS.length)
    picture = cut_photo(_read_long(channel, m.PHOTO.offset, m.PHOTO.length)) if photo else None
    expiry_raw = validity[m.ISSUE_DATE.length :]
    return CardDetails(
        citizen_id=citizen_id,
        name_th=split_name(decode_card_text(names[: m.NAME_TH.length])),
        name_en=split_name(decode_card_text(names[m.NAME_TH.length :])),
        birth_date=_ascii(dates[: m.BIRTH_DATE.length]),
        sex=_ascii(dates[m.BIRTH_DATE.length :]),
        issue_date=_ascii(validity[: m.ISSUE_DATE.length]),
        expiry_date=_ascii(expiry_raw),
        address=tuple(p for p in split_name(decode_card_text(address)) if p),
        issuer=decode_card_text(issuer).replace("/", " "),
        checks=CardChecks(
            applet=True,
            check_digit=is_valid_citizen_id(citizen_id),
            expiry=expiry_state(expiry_raw, today),
        ),
        photo=picture,
    )
