"""What a citizen gets back for a comment: a reference to quote and the status page's secret.

The status secret is derived (HMAC of the master secret and the comment id) and only its
SHA-256 is stored, so a resubmission can be answered with the same link while a copy of the
database alone opens no status page.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from collector.storage import Row

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
REFERENCE = re.compile(r"^FB-[2-9A-Z]{4}-[2-9A-Z]{4}$")


@dataclass(frozen=True, slots=True)
class Receipt:
    comment_id: str
    reference: str
    secret: str
    duplicate: bool
    case_id: str | None


def new_reference() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"FB-{chars[:4]}-{chars[4:]}"


def status_secret(master: bytes, comment_id: str) -> str:
    digest = hmac.new(master, b"cf-fb-status|" + comment_id.encode(), hashlib.sha256).digest()
    return digest[:18].hex()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


def receipt_of(master: bytes, row: Row, *, duplicate: bool) -> Receipt:
    """The receipt of a stored comment (``comment_id``, ``reference``, ``case_id``)."""
    cid = str(row["comment_id"])
    return Receipt(
        cid, str(row["reference"]), status_secret(master, cid), duplicate, row["case_id"]
    )
