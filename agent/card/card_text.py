"""Text fields of the card: TIS-620 with a cp874 fallback, never silently dropping bytes.

Python's ``tis-620`` codec has no mapping for 0xA0 (cp874: NO-BREAK SPACE) and raises; cp874 is
a superset, and ``errors="replace"`` leaves a visible U+FFFD instead of losing a character.
"""

from __future__ import annotations

PADDING = b" \x00"


def decode_card_text(raw: bytes) -> str:
    """Decode a space/NUL padded TIS-620 field."""
    data = raw.rstrip(PADDING)
    try:
        return data.decode("tis-620")
    except UnicodeDecodeError:
        return data.decode("cp874", errors="replace")


def encode_card_text(text: str, length: int) -> bytes:
    """Encode ``text`` as TIS-620 (cp874 for what TIS-620 lacks), space padded to ``length``."""
    try:
        data = text.encode("tis-620")
    except UnicodeEncodeError:
        data = text.encode("cp874")
    if len(data) > length:
        raise ValueError(f"text is {len(data)} bytes, the field holds {length}")
    return data.ljust(length, b" ")


def split_name(text: str) -> tuple[str, ...]:
    """``prefix#first#middle#last`` into its parts (empty parts kept)."""
    return tuple(part.strip() for part in text.split("#"))
