"""A synthetic card holder for the virtual card, the simulated source and the fleet simulator.

Synthetic only: the default citizen id uses province code 99, which does not exist
(``1999900000013`` passes the checksum and belongs to no one). Dates are card-format strings
(``YYYYMMDD`` Buddhist era) so that ``00`` parts and ``99999999`` can be expressed.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

from agent.card import moi_layout
from agent.card.card_text import encode_card_text
from agent.card.citizen_id import mask_citizen_id

# A tiny JPEG-shaped placeholder: start marker, a comment, end marker.
_PHOTO = b"\xff\xd8\xff\xfe\x00\x0bsynthetic\xff\xd9"
PhotoKind = Literal["placeholder", "silhouette", "none"]


@cache
def silhouette_jpeg() -> bytes:
    """A drawn 148 x 178 head-and-shoulders outline (no one's face), as the card stores it."""
    from PIL import Image, ImageDraw  # noqa: PLC0415 - only the officer-view tests draw it

    image = Image.new("RGB", (148, 178), (214, 226, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((44, 28, 104, 100), fill=(120, 120, 130))
    draw.pieslice((14, 104, 134, 230), 180, 360, fill=(120, 120, 130))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def photo_bytes(kind: PhotoKind) -> bytes:
    if kind == "none":
        return b""
    return silhouette_jpeg() if kind == "silhouette" else _PHOTO


@dataclass(frozen=True)
class SyntheticPerson:
    citizen_id: str = field(default="1999900000013", repr=False)
    name_th: tuple[str, str, str, str] = ("นาย", "สมชาย", "", "ทดสอบ")
    name_en: tuple[str, str, str, str] = ("Mr.", "Somchai", "", "Thodsob")
    birth_date: str = "25300415"
    sex: str = "1"
    issue_date: str = "25650101"
    expiry_date: str = "25790101"
    address: str = "99/9#หมู่ที่ 9####ตำบลทดสอบ#อำเภอทดสอบ#จังหวัดทดสอบ"
    issuer: str = "สำนักทะเบียนอำเภอทดสอบ/จังหวัดทดสอบ"
    request_no: str = "99990000000000000001"
    card_number: str = "99990000000001"
    photo: PhotoKind = "placeholder"

    def __repr__(self) -> str:
        return (
            f"SyntheticPerson(citizen_id={mask_citizen_id(self.citizen_id)}, "
            f"birth_date={self.birth_date!r}, sex={self.sex!r}, expiry_date={self.expiry_date!r})"
        )

    def with_changes(self, **changes: Any) -> SyntheticPerson:
        return replace(self, **changes)

    def moi_file(self) -> bytes:
        """The MOI applet's binary file with this person in it (THAI-ID-CARD.md section 4)."""
        data = bytearray(b" " * moi_layout.FILE_SIZE)
        data[0:4] = b"\x00\x01\x00\x00"

        def put(f: moi_layout.Field, value: bytes) -> None:
            if len(value) > f.length:
                raise ValueError(f"{f.name}: {len(value)} bytes, the field holds {f.length}")
            data[f.offset : f.offset + f.length] = value.ljust(f.length, b" ")

        put(moi_layout.CITIZEN_ID, self.citizen_id.encode("ascii"))
        put(moi_layout.NAME_TH, encode_card_text("#".join(self.name_th), 100))
        put(moi_layout.NAME_EN, "#".join(self.name_en).encode("ascii"))
        put(moi_layout.BIRTH_DATE, self.birth_date.encode("ascii"))
        put(moi_layout.SEX, self.sex.encode("ascii"))
        put(moi_layout.REQUEST_NO, self.request_no.encode("ascii"))
        put(moi_layout.ISSUER, encode_card_text(self.issuer, 100))
        put(moi_layout.ISSUER_CODE, b"9999900000000")
        put(moi_layout.ISSUE_DATE, self.issue_date.encode("ascii"))
        put(moi_layout.EXPIRY_DATE, self.expiry_date.encode("ascii"))
        put(moi_layout.UNKNOWN_0177, b"0101")
        photo = photo_bytes(self.photo).ljust(moi_layout.PHOTO.length, b"\x00")
        data[moi_layout.PHOTO.offset : moi_layout.PHOTO.offset + len(photo)] = photo
        put(moi_layout.ADDRESS, encode_card_text(self.address, 160))
        put(moi_layout.CARD_NUMBER, self.card_number.encode("ascii"))
        put(moi_layout.TRAILER, b"\x00" * moi_layout.TRAILER.length)
        return bytes(data)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> SyntheticPerson:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("a person is a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown person field(s): {', '.join(unknown)}")
        for name in ("name_th", "name_en"):
            if name in raw:
                raw[name] = tuple(raw[name])
        return cls(**raw)

    @classmethod
    def from_file(cls, path: Path) -> SyntheticPerson:
        return cls.from_json(path.read_text(encoding="utf-8"))
