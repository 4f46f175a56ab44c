"""Where things are in the MOI applet's binary file (THAI-ID-CARD.md section 4).

Shared by the reader (which reads only the first four below) and the virtual card (which
stores all of them so that a reader reading too much would be noticed by the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

MOI_AID = bytes.fromhex("A000000054480001")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    offset: int
    length: int


CITIZEN_ID = Field("citizen_id", 0x0004, 13)
NAME_TH = Field("name_th", 0x0011, 100)
NAME_EN = Field("name_en", 0x0075, 100)
BIRTH_DATE = Field("birth_date", 0x00D9, 8)
SEX = Field("sex", 0x00E1, 1)
REQUEST_NO = Field("request_no", 0x00E2, 20)
ISSUER = Field("issuer", 0x00F6, 100)
ISSUER_CODE = Field("issuer_code", 0x015A, 13)
ISSUE_DATE = Field("issue_date", 0x0167, 8)
EXPIRY_DATE = Field("expiry_date", 0x016F, 8)
UNKNOWN_0177 = Field("unknown_0177", 0x0177, 4)
PHOTO = Field("photo", 0x017B, 5118)
ADDRESS = Field("address", 0x1579, 160)
CARD_NUMBER = Field("card_number", 0x1619, 14)
TRAILER = Field("trailer", 0x1627, 279)

ALL_FIELDS = (
    CITIZEN_ID,
    NAME_TH,
    NAME_EN,
    BIRTH_DATE,
    SEX,
    REQUEST_NO,
    ISSUER,
    ISSUER_CODE,
    ISSUE_DATE,
    EXPIRY_DATE,
    UNKNOWN_0177,
    PHOTO,
    ADDRESS,
    CARD_NUMBER,
    TRAILER,
)
FILE_SIZE = TRAILER.offset + TRAILER.length  # 5950
