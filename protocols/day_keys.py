"""The day-key file a device holds (PROTOCOL.md "Visitor pseudonym"), and how the central side
makes it from the master pepper.

Format (JSON, mode 0600, owned by the agent's service user)::

    {"v": 1, "scheme": "cf2", "office": "cm-mueang-dol",
     "keys": {"2026-12-02": "<64 hex chars>", "2026-12-03": "..."}}

``scheme`` names how every key in the file makes a pseudonym; a file without it is a ``cf1`` file
(the first devices: deployment-wide keys, no ``office``). A ``cf2`` file names its office and holds
at most today's and tomorrow's keys. Only the central side (collector secret store, operators'
vault, Ansible control node) ever holds the pepper; the file carries day keys and nothing else.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Self

from pydantic import Field, ValidationError, model_validator

from protocols.base import WireModel
from protocols.errors import ProtocolError
from protocols.identifiers import ID_PATTERN
from protocols.pseudonym import DayKey, Scheme, cf2_day_key, day_key

HexKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
OfficeField = Annotated[str, Field(pattern=ID_PATTERN)]

CF2_MAX_DAYS = 2
"""A cf2 device holds today's and tomorrow's keys only."""


class DayKeyFile(WireModel):
    v: int = 1
    scheme: Scheme = "cf1"
    office: OfficeField | None = None
    keys: dict[date, HexKey]

    @model_validator(mode="after")
    def _office_matches_scheme(self) -> Self:
        if self.scheme == "cf2" and self.office is None:
            raise ValueError("a cf2 day-key file must name its office")
        if self.scheme == "cf1" and self.office is not None:
            raise ValueError("a cf1 day-key file has no office (cf1 keys are deployment-wide)")
        return self

    def key_for(self, day: date) -> bytes | None:
        """The raw key for ``day``, or None when the file has none for it."""
        value = self.keys.get(day)
        return bytes.fromhex(value) if value is not None else None

    def day_key(self, day: date) -> DayKey | None:
        """The key for ``day`` with this file's scheme, or None."""
        raw = self.key_for(day)
        return DayKey(self.scheme, raw) if raw is not None else None

    def without_days_before(self, day: date) -> DayKeyFile:
        """A copy without the keys of days before ``day`` (they must not be kept)."""
        return self.model_copy(update={"keys": {d: k for d, k in self.keys.items() if d >= day}})

    def with_key(self, scheme: Scheme, office: str | None, day: date, key: bytes) -> DayKeyFile:
        """This file with one more key. A cf2 key for another office, or a first cf2 key in a cf1
        file, starts a new file (mixing schemes or offices would make one pseudonym ambiguous).
        A cf1 key never enters a cf2 file: that would be a fall-back to the weaker scheme."""
        if scheme == "cf1" and self.scheme == "cf2":
            raise ProtocolError("weaker_scheme", "a cf2 device never takes a cf1 key")
        entry = {day: key.hex()}
        if scheme != self.scheme or office != self.office:
            return DayKeyFile(v=self.v, scheme=scheme, office=office, keys=entry)
        return self.model_copy(update={"keys": {**self.keys, **entry}})

    def dumps(self) -> str:
        document: dict[str, object] = {"v": self.v, "scheme": self.scheme}
        if self.office is not None:
            document["office"] = self.office
        document["keys"] = {d.isoformat(): k for d, k in sorted(self.keys.items())}
        return json.dumps(document, indent=2)

    @classmethod
    def loads(cls, text: str) -> DayKeyFile:
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or not isinstance(raw.get("keys"), dict):
                raise ProtocolError("bad_day_keys", 'expected {"v": 1, "keys": {date: hex}}')
            keys = {date.fromisoformat(d): k for d, k in raw["keys"].items()}
            return cls.model_validate(
                {
                    "v": raw.get("v", 1),
                    "scheme": raw.get("scheme", "cf1"),
                    "office": raw.get("office"),
                    "keys": keys,
                }
            )
        except (ValueError, TypeError, ValidationError) as exc:
            if isinstance(exc, ProtocolError):
                raise
            raise ProtocolError("bad_day_keys", _reason(exc)) from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "file"
        if where.startswith("keys"):
            return "keys must map YYYY-MM-DD dates to 64 lowercase hex characters"
        return f"{where}: {error['msg']}"
    return "keys must map YYYY-MM-DD dates to 64 lowercase hex characters"


def parse_pepper(raw: bytes) -> bytes:
    """A pepper file's bytes: 64+ hex characters (with optional whitespace), or raw bytes."""
    text = raw.strip()
    try:
        return bytes.fromhex(text.decode("ascii")) if len(text) >= 64 else raw
    except (UnicodeDecodeError, ValueError):
        return raw


def make_day_keys(
    pepper: bytes, first: date, days: int, *, office: str | None = None
) -> DayKeyFile:
    """Day keys for ``days`` consecutive office-local dates starting at ``first``: cf2 keys of
    ``office`` when it is given (at most 2 days), else cf1 keys (old devices only)."""
    if office is None:
        if not 1 <= days <= 62:
            raise ValueError("days must be between 1 and 62")
        dates = [first + timedelta(n) for n in range(days)]
        return DayKeyFile(keys={d: day_key(pepper, d).hex() for d in dates})
    if not 1 <= days <= CF2_MAX_DAYS:
        raise ValueError(f"a cf2 file holds 1 to {CF2_MAX_DAYS} days (today and tomorrow)")
    dates = [first + timedelta(n) for n in range(days)]
    return DayKeyFile(
        scheme="cf2", office=office, keys={d: cf2_day_key(pepper, office, d).hex() for d in dates}
    )
