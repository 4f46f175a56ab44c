"""PII stripping: a table of Thai and English comments, what must go and what must stay.

Citizen ids are synthetic: they pass the checksum but belong to no one.
"""

from __future__ import annotations

import pytest

from collector.feedback.pii import MARK, citizen_id_valid, strip_pii

M = MARK
# (input, expected stored text)
TABLE: list[tuple[str, str]] = [
    # 13-digit citizen ids: plain, dashed, spaced, Thai digits, mixed digits, in a sentence
    ("9901700230706", M),
    ("เลขบัตร 9901700230706 ค่ะ", f"เลขบัตร {M} ค่ะ"),
    ("9-9017-00230-70-6", M),
    ("9 9017 00230 70 6", M),
    ("๙๙๐๑๗๐๐๒๓๐๗๐๖", M),
    ("บัตร ๙-๙๐๑๗-๐๐๒๓๐-๗๐-๖ หาย", f"บัตร {M} หาย"),
    ("id 9-9017-๐๐๒๓๐-70-6!", f"id {M}!"),
    ("my ID is 3.1005.01234.56.3 thanks", f"my ID is {M} thanks"),
    ("9901700230709", M),  # checksum-invalid: still a 13-digit id-like number
    ("ID:9901700230706", f"ID:{M}"),
    # phone numbers: Thai mobile, landline, +66, Thai digits, brackets, dots
    ("โทร 0812345678", f"โทร {M}"),
    ("โทร 081-234-5678 นะคะ", f"โทร {M} นะคะ"),
    ("call 081 234 5678 please", f"call {M} please"),
    ("+66 81 234 5678", M),
    ("+66812345678", M),
    ("66-81-234-5678", M),
    ("02-123-4567", M),
    ("(02) 123 4567", M),
    ("053.123.456", M),
    ("๐๘๑-๒๓๔-๕๖๗๘", M),
    ("เบอร์ ๐๒ ๑๒๓ ๔๕๖๗ ติดต่อได้", f"เบอร์ {M} ติดต่อได้"),
    ("โทร.0812345678ด่วน", f"โทร.{M}ด่วน"),
    # emails
    ("somchai.j@example.com", M),
    ("ติดต่อ somchai_j@mail.example.co.th ได้", f"ติดต่อ {M} ได้"),
    ("email me: Jane.Doe+cf@example.org.", f"email me: {M}."),
    ("name @ example.com", M),
    # several at once
    ("9901700230706 / 0812345678 / a@b.co", f"{M} / {M} / {M}"),
    ("โทร 0812345678 หรือ 0898765432", f"โทร {M} หรือ {M}"),
    # bank account numbers (10 digits) are personal too
    ("โอนเข้าบัญชี 123-4-56789-0", f"โอนเข้าบัญชี {M}"),
    # what stays: short numbers, amounts, dates, times, counters, the hotline
    ("รอนาน 45 นาที", "รอนาน 45 นาที"),
    ("ถูกเรียกเก็บ 200 บาท", "ถูกเรียกเก็บ 200 บาท"),
    ("ค่าธรรมเนียม 1,000,000 บาท", "ค่าธรรมเนียม 1,000,000 บาท"),
    ("มาเมื่อ 12/05/2569 เวลา 10.30 น.", "มาเมื่อ 12/05/2569 เวลา 10.30 น."),
    ("ช่อง 3 บริการดีมาก", "ช่อง 3 บริการดีมาก"),
    ("แจ้ง 1111 แล้ว", "แจ้ง 1111 แล้ว"),
    ("queue number 0123", "queue number 0123"),
    ("๑๐ นาทีเสร็จ", "๑๐ นาทีเสร็จ"),
    ("Waited 2 hours, from 9:00 to 11:00", "Waited 2 hours, from 9:00 to 11:00"),
    ("ขอบคุณค่ะ", "ขอบคุณค่ะ"),
    ("Great service, thank you!", "Great service, thank you!"),
    ("ราคา 12345678 บาท", "ราคา 12345678 บาท"),  # 8 digits: an amount, kept
    ("at @home with friends", "at @home with friends"),
    ("", ""),
]


def test_the_table_is_large_enough() -> None:
    assert len(TABLE) >= 40


@pytest.mark.parametrize(("given", "stored"), TABLE)
def test_strip(given: str, stored: str) -> None:
    result = strip_pii(given)
    assert result.text == stored
    assert result.removed == stored.count(M)


def test_no_digit_of_a_removed_id_survives() -> None:
    text = strip_pii("บัตร ๙-๙๐๑๗-๐๐๒๓๐-๗๐-๖ และ 9901700230706").text
    assert not any(c.isdigit() for c in text)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("9901700230706", True),
        ("9901700230709", False),
        ("9900501234565", True),
        ("9900501234561", False),
        ("12", False),
    ],
)
def test_citizen_id_checksum(digits: str, valid: bool) -> None:
    assert citizen_id_valid(digits) is valid
