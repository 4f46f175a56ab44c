"""Pairing an office PC with the counter: a one-time code on the Pi's screen, then a per-PC
credential.

- :class:`PairingCodes`: one live code at a time, shown only on the kiosk page (loopback), never
  logged; it expires after ``ttl_s``, works once, and dies after ``attempts`` wrong tries.
- :class:`PairedPcs`: the credentials' SHA-256 hashes in a 0600 JSON file (a credential is 256
  random bits, so a fast hash is enough; the file alone lets nobody in). No personal data.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

CODE_DIGITS = 8
COOKIE = "cf_officer_pc"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str
    expires_in_s: float


class PairingCodes:
    def __init__(
        self, ttl_s: float, attempts: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._attempts = attempts
        self._clock = clock
        self._lock = threading.Lock()
        self._code: str | None = None
        self._expires = 0.0
        self._left = 0

    def issue(self) -> IssuedCode:
        """A new code (the previous one, if any, stops working)."""
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        with self._lock:
            self._code, self._expires, self._left = (
                code,
                self._clock() + self._ttl_s,
                self._attempts,
            )
        _LOGGER.info("pairing code issued (valid %g s)", self._ttl_s)
        return IssuedCode(code, self._ttl_s)

    def redeem(self, offered: str) -> bool:
        """True once for the live, unexpired code; a wrong try uses up one attempt."""
        offered = "".join(ch for ch in offered if ch.isdigit())
        with self._lock:
            code = self._code
            if code is None:
                return False
            if self._clock() >= self._expires:
                self._code = None
                return False
            if hmac.compare_digest(offered.encode(), code.encode()):
                self._code = None  # single use
                return True
            self._left -= 1
            if self._left <= 0:
                self._code = None
            return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PairedPcs:
    """The paired PCs' credential hashes, kept in ``path`` (written atomically, mode 0600)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._hashes: dict[str, str] = {}  # hash -> paired-at (UTC ISO)
        with contextlib.suppress(FileNotFoundError):
            raw = json.loads(path.read_text(encoding="utf-8"))
            self._hashes = {str(h): str(t) for h, t in raw.get("pcs", {}).items()}

    def __len__(self) -> int:
        return len(self._hashes)

    def add(self) -> str:
        """A new PC credential (returned once, to that PC only; stored as its hash)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._hashes[_digest(token)] = datetime.now(UTC).isoformat(timespec="seconds")
            self._save()
        _LOGGER.info("office PC paired (%d paired)", len(self._hashes))
        return token

    def verify(self, token: str | None) -> bool:
        if not token:
            return False
        wanted = _digest(token)
        with self._lock:
            return any(hmac.compare_digest(wanted, h) for h in self._hashes)

    def revoke_all(self) -> None:
        with self._lock:
            self._hashes.clear()
            self._save()

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(self._path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"v": 1, "pcs": self._hashes}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._path)
