"""Read a Thai national ID card through an :class:`ApduChannel` and turn it into a CardRead.

Reads only what the deployment needs (THAI-ID-CARD.md section 11, PDPA s.22): the citizen id
(for the checksum and the pseudonym), the expiry date, and birth date + sex only with
demographics enabled. Never the photo, the address, the names or the laser code. The citizen
id lives in local variables of :func:`read_thai_id` only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from agent.card import moi_layout
from agent.card.apdu import ApduChannel
from agent.card.citizen_id import CitizenId
from agent.card.dates import age_band, age_on, card_is_valid, parse_be_date
from agent.card.errors import BadChecksumError, CardDataError
from agent.card.interface import CardRead
from protocols.plain import Sex
from protocols.pseudonym import DayKey

_LOGGER = logging.getLogger(__name__)

_SEX_CODES: dict[bytes, Sex] = {b"1": "M", b"2": "F"}


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    """What a read produced: the anonymous CardRead, and whether today's key was missing."""

    read: CardRead
    no_day_key: bool


def outcome_from_fields(
    citizen_id: CitizenId,
    expiry_raw: bytes,
    birth_raw: bytes | None,
    sex_raw: bytes | None,
    *,
    key: DayKey | None,
    today: date,
) -> ReadOutcome:
    """The shared last step of every back-end (real and simulated): checksum, pseudonym,
    validity, age band. Raises :class:`BadChecksumError` without the id in the message."""
    if not citizen_id.is_valid:
        raise BadChecksumError("the citizen id on the card fails its check digit")
    # The key's own scheme (cf1 or cf2) makes the pseudonym; there is no fall-back.
    visitor = key.pseudonym(citizen_id.digits) if key is not None else None
    try:
        card_valid: bool | None = card_is_valid(parse_be_date(expiry_raw, "expiry date"), today)
    except CardDataError as exc:
        _LOGGER.warning("card validity unknown: %s", exc)
        card_valid = None
    band = None
    if birth_raw is not None:
        try:
            birth = parse_be_date(birth_raw, "birth date")
        except CardDataError as exc:
            _LOGGER.warning("age band unknown: %s", exc)
            birth = None
        band = age_band(age_on(birth, today)) if birth is not None else None
    sex = _SEX_CODES.get(sex_raw.strip()) if sex_raw is not None else None
    return ReadOutcome(CardRead(visitor, card_valid, band, sex), no_day_key=key is None)


def read_thai_id(
    channel: ApduChannel, *, demographics: bool, key: DayKey | None, today: date
) -> ReadOutcome:
    """SELECT the MOI applet, read the needed fields and compute the outcome."""
    channel.select(moi_layout.MOI_AID)
    raw_id = channel.read(moi_layout.CITIZEN_ID.offset, moi_layout.CITIZEN_ID.length)
    try:
        citizen_id = CitizenId(raw_id.decode("ascii"))
    except UnicodeDecodeError:
        raise BadChecksumError("the citizen id on the card is not 13 digits") from None
    del raw_id
    _LOGGER.debug("read citizen id %s", citizen_id)
    if not citizen_id.is_valid:
        raise BadChecksumError("the citizen id on the card fails its check digit")
    expiry = channel.read(moi_layout.EXPIRY_DATE.offset, moi_layout.EXPIRY_DATE.length)
    birth = sex = None
    if demographics:
        birth = channel.read(moi_layout.BIRTH_DATE.offset, moi_layout.BIRTH_DATE.length)
        sex = channel.read(moi_layout.SEX.offset, moi_layout.SEX.length)
    outcome = outcome_from_fields(citizen_id, expiry, birth, sex, key=key, today=today)
    del citizen_id
    return outcome
