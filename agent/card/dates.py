"""Buddhist-era dates as the card stores them: ``YYYYMMDD`` with BE = CE + 543.

Month or day can be ``00`` (unknown, usual for birth dates of older citizens) and an expiry of
``99999999`` means a lifelong card. Public readers crash on both (THAI-ID-CARD.md section 10);
here they are ordinary values.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from agent.card.errors import CardDataError
from protocols.plain import AgeBand

BE_OFFSET = 543
LIFELONG = b"99999999"


@dataclass(frozen=True, slots=True)
class CardDate:
    """A possibly partial card date in the common era; ``None`` month/day mean unknown."""

    year: int
    month: int | None = None
    day: int | None = None

    def earliest(self) -> date:
        """The first calendar day this partial date can stand for."""
        return date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> date:
        """The last calendar day this partial date can stand for."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return date(self.year, month, day)


def parse_be_date(raw: bytes, field: str) -> CardDate | None:
    """Parse ``YYYYMMDD`` (BE). ``99999999`` gives None (no end). Raises :class:`CardDataError`
    naming ``field`` (never its value) when the bytes are not such a date."""
    text = raw.rstrip(b" \x00")
    if text == LIFELONG:
        return None
    if len(text) != 8 or not text.isdigit():
        raise CardDataError(f"{field}: expected 8 digits YYYYMMDD (Buddhist era)")
    year_be, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    year = year_be - BE_OFFSET
    if not 1 <= year <= 9999 or month > 12 or (month == 0 and day != 0):
        raise CardDataError(f"{field}: not a Buddhist-era date")
    if day and day > calendar.monthrange(year, month)[1]:
        raise CardDataError(f"{field}: day out of range for its month")
    return CardDate(year, month or None, day or None)


def card_is_valid(expiry: CardDate | None, today: date) -> bool:
    """A card is valid through its expiry day; partial expiries run to their latest day;
    ``None`` (``99999999``) never expires."""
    return expiry is None or today <= expiry.latest()


def age_on(birth: CardDate, today: date) -> int:
    """Completed years on ``today``. Unknown month/day count as the latest possible birthday,
    so nobody is placed in an older band than they can be."""
    born = birth.latest()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return max(years, 0)


_BANDS: tuple[AgeBand, ...] = ("20-29", "30-39", "40-49", "50-59", "60-69")


def age_band(age: int) -> AgeBand:
    """PROTOCOL.md bands: ``0-19``, ``20-29`` ... ``60-69``, ``70+``."""
    if age < 20:
        return "0-19"
    if age >= 70:
        return "70+"
    return _BANDS[age // 10 - 2]
