"""Card data as the officer reads it: Thai or English labels, Buddhist-era dates, checks."""

from __future__ import annotations

from typing import Any, Literal

from agent.card.dates import BE_OFFSET
from agent.card.details import CardDetails

Lang = Literal["th", "en"]

_MONTHS_TH = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
_MONTHS_EN = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip

_TEXT: dict[str, dict[Lang, str]] = {
    "lifelong": {"th": "ตลอดชีพ", "en": "Lifelong"},
    "unknown": {"th": "อ่านไม่ได้", "en": "Unreadable"},
    "sex_1": {"th": "ชาย", "en": "Male"},
    "sex_2": {"th": "หญิง", "en": "Female"},
    "ok": {"th": "ผ่าน", "en": "passed"},
    "fail": {"th": "ไม่ผ่าน", "en": "FAILED"},
    "valid": {"th": "ยังไม่หมดอายุ", "en": "not expired"},
    "expired": {"th": "หมดอายุแล้ว", "en": "EXPIRED"},
}


def text(key: str, lang: Lang) -> str:
    return _TEXT[key][lang]


def be_date(raw: str, lang: Lang) -> str:
    """``25300415`` → ``15 เม.ย. 2530`` / ``15 Apr 2530 BE (1987)``; ``00`` parts left out;
    ``99999999`` → lifelong."""
    if raw == "99999999":
        return text("lifelong", lang)
    if len(raw) != 8 or not raw.isdigit():
        return text("unknown", lang)
    year, month, day = int(raw[:4]), int(raw[4:6]), int(raw[6:])
    if not 1 <= month <= 12:
        month = day = 0
    months = _MONTHS_TH if lang == "th" else _MONTHS_EN
    parts = [str(day)] if day and month else []
    parts += [months[month - 1]] if month else []
    if lang == "th":
        return " ".join([*parts, str(year)])
    return " ".join([*parts, f"{year} BE ({year - BE_OFFSET})"])


def full_name(parts: tuple[str, ...], lang: Lang) -> str:
    """``prefix#first#middle#last``: Thai titles attach to the first name (section 4)."""
    padded = (*parts, "", "", "", "")[:4]
    prefix, first, middle, last = padded
    head = f"{prefix}{first}" if lang == "th" else f"{prefix} {first}".strip()
    return " ".join(p for p in (head, middle, last) if p)


def card_fields(d: CardDetails, lang: Lang) -> dict[str, Any]:
    """The page's and the copy's values, in ``lang`` (the names are shown in both)."""
    c = d.checks
    expiry_check = "lifelong" if c.expiry == "lifelong" else c.expiry
    return {
        "citizen_id": format_citizen_id(d.citizen_id),
        "name_th": full_name(d.name_th, "th"),
        "name_en": full_name(d.name_en, "en"),
        "birth_date": be_date(d.birth_date, lang),
        "sex": text(f"sex_{d.sex}", lang) if d.sex in ("1", "2") else "",
        "address": " ".join(d.address),
        "issue_date": be_date(d.issue_date, lang),
        "expiry_date": be_date(d.expiry_date, lang),
        "issuer": d.issuer,
        "photo": d.photo is not None,
        "checks": {
            "applet": text("ok" if c.applet else "fail", lang),
            "check_digit": text("ok" if c.check_digit else "fail", lang),
            "expiry": text(expiry_check, lang),
        },
        "checks_ok": {
            "applet": c.applet,
            "check_digit": c.check_digit,
            "expiry": c.expiry in ("valid", "lifelong"),
        },
    }


def format_citizen_id(cid: str) -> str:
    """``1 9999 00000 01 3``, the printed shape."""
    if len(cid) != 13:
        return cid
    return f"{cid[0]} {cid[1:5]} {cid[5:10]} {cid[10:12]} {cid[12]}"
