"""Strip personal data from a comment before it is stored.

Removed, each replaced by :data:`MARK`:
- email addresses;
- any run of 9 or more digits, Thai (๐–๙) or Arabic, with single spaces, dashes, dots or
  brackets between them, optionally after ``+``: Thai phone numbers (9–10 digits, ``+66``),
  13-digit citizen ids (checksum-valid or not), bank and other account numbers.
Shorter numbers stay: amounts, times, dates, counter numbers, the 1111 hotline.

Thai digits map one to one onto Arabic ones, so matching runs on a normalised copy and the
replacement uses the same positions in the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARK = "[ลบข้อมูลส่วนบุคคล]"
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+\s?@\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_SEP = r"[ \t\-.()]{0,2}"
_LONG_NUMBER = re.compile(rf"(?<![\d])\+?\(?\d(?:{_SEP}\d){{8,}}(?![\d])\)?")


@dataclass(frozen=True, slots=True)
class Stripped:
    text: str
    removed: int  # how many items were replaced


def citizen_id_valid(digits: str) -> bool:
    """The Thai citizen id checksum (13 digits; the last one checks the first twelve)."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def strip_pii(text: str) -> Stripped:
    normal = text.translate(_THAI_DIGITS)
    spans: list[tuple[int, int]] = []
    for pattern in (_EMAIL, _LONG_NUMBER):
        for m in pattern.finditer(normal):
            if not any(m.start() < e and s < m.end() for s, e in spans):
                spans.append((m.start(), m.end()))
    if not spans:
        return Stripped(text, 0)
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        out.append(text[pos:start])
        out.append(MARK)
        pos = end
    out.append(text[pos:])
    return Stripped("".join(out), len(spans))
