"""The citizen id: check digit, a masked form for logs, and a wrapper that never shows it.

The wrapper exists so that an id passed around inside the card module cannot leak through a
``repr`` in a log line, a traceback or an exception message by accident.
"""

from __future__ import annotations

from typing import NoReturn

CITIZEN_ID_LENGTH = 13


def check_digit(first_twelve: str) -> int:
    """The 13th digit for 12 leading digits: (11 - sum(d_i * (14 - i)) mod 11) mod 10."""
    if len(first_twelve) != 12 or not first_twelve.isascii() or not first_twelve.isdigit():
        raise ValueError("expected 12 ASCII digits")
    total = sum(int(d) * (13 - i) for i, d in enumerate(first_twelve))
    return (11 - total % 11) % 10


def is_valid_citizen_id(value: str) -> bool:
    """True for 13 ASCII digits whose last digit is the check digit of the first 12."""
    if len(value) != CITIZEN_ID_LENGTH or not value.isascii() or not value.isdigit():
        return False
    return check_digit(value[:12]) == int(value[12])


def mask_citizen_id(value: str) -> str:
    """``1-xxxx-xxxxx-xx-3``: first and last digit only, the shape of the printed id."""
    if len(value) != CITIZEN_ID_LENGTH:
        return "x" * 13
    return f"{value[0]}-xxxx-xxxxx-xx-{value[12]}"


class CitizenId:
    """A citizen id that shows only its masked form in ``str``/``repr``/f-strings.

    ``digits`` gives the id itself, for the checksum and the pseudonym only. It cannot be
    pickled or copied into a serialised form.
    """

    __slots__ = ("_digits",)

    def __init__(self, digits: str) -> None:
        self._digits = digits

    @property
    def digits(self) -> str:
        return self._digits

    @property
    def is_valid(self) -> bool:
        return is_valid_citizen_id(self._digits)

    def masked(self) -> str:
        return mask_citizen_id(self._digits)

    def __repr__(self) -> str:
        return f"CitizenId({self.masked()})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a CitizenId is never serialised")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CitizenId) and other._digits == self._digits

    def __hash__(self) -> int:
        return hash(("CitizenId", self._digits))
