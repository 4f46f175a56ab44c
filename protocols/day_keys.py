"""The day-key file a device holds (PROTOCOL.md "Visitor pseudonym"), and how the central side
makes it from the master pepper.

Format (JSON, mode 0600, owned by the agent's service user)::

    {"v": 1, "keys": {"2026-11-25": "<64 hex chars>", "2026-11-26": "..."}}

Only the central side (collector secret store, operators' vault, Ansible control node) ever
holds the pepper; the file carries day keys for a short window and nothing else.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated

from pydantic import Field, ValidationError

from protocols.base import WireModel
from protocols.errors import ProtocolError
from protocols.pseudonym import day_key

HexKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class DayKeyFile(WireModel):
    v: int = 1
    keys: dict[date, HexKey]

    def key_for(self, day: date) -> bytes | None:
        """The key for ``day`` as bytes, or None when the file has none for it."""
        value = self.keys.get(day)
        return bytes.fromhex(value) if value is not None else None

    def without_days_before(self, day: date) -> DayKeyFile:
        """A copy without the keys of days before ``day`` (they must not be kept)."""
        return DayKeyFile(v=self.v, keys={d: k for d, k in self.keys.items() if d >= day})

    def dumps(self) -> str:
        return json.dumps(
            {"v": self.v, "keys": {d.isoformat(): k for d, k in sorted(self.keys.items())}},
            indent=2,
        )

    @classmethod
    def loads(cls, text: str) -> DayKeyFile:
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or not isinstance(raw.get("keys"), dict):
                raise ProtocolError("bad_day_keys", 'expected {"v": 1, "keys": {date: hex}}')
            keys = {date.fromisoformat(d): k for d, k in raw["keys"].items()}
            return cls.model_validate({"v": raw.get("v", 1), "keys": keys})
        except (ValueError, TypeError, ValidationError) as exc:
            if isinstance(exc, ProtocolError):
                raise
            raise ProtocolError(
                "bad_day_keys", "keys must map YYYY-MM-DD dates to 64 lowercase hex characters"
            ) from None


def make_day_keys(pepper: bytes, first: date, days: int) -> DayKeyFile:
    """Day keys for ``days`` consecutive office-local dates starting at ``first``."""
    if not 1 <= days <= 62:
        raise ValueError("days must be between 1 and 62")
    return DayKeyFile(
        keys={
            first + timedelta(n): day_key(pepper, first + timedelta(n)).hex() for n in range(days)
        }
    )
