"""The day keys the device holds (PROTOCOL.md "Visitor pseudonym"), from the provisioned file.

At start the file must belong to the service user and be unreadable by group and others. Keys
of past days are deleted from the file as soon as they are seen (a stolen device then reveals
nothing about earlier visitors). The file is re-read when it changes (a refresh from enrolment).
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Protocol

from agent.card.errors import KeyFileError
from protocols import now
from protocols.day_keys import DayKeyFile
from protocols.errors import ProtocolError

_LOGGER = logging.getLogger(__name__)


def office_today() -> date:
    """The office-local date (Asia/Bangkok) that selects the day key and the age."""
    return now().date()


class DayKeys(Protocol):
    """Where a card source gets today's key from."""

    def key_for(self, day: date) -> bytes | None: ...


class StaticDayKeys:
    """Day keys held in memory (demo and fleet simulator: no file, nothing to delete)."""

    def __init__(self, keys: DayKeyFile) -> None:
        self._keys = keys

    def key_for(self, day: date) -> bytes | None:
        return self._keys.key_for(day)


def check_key_file_access(path: Path) -> None:
    """Refuse a key file owned by another user or with any group/other permission bit."""
    try:
        info = path.stat()
    except OSError as exc:
        raise KeyFileError(f"day-key file {path}: cannot stat it ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(f"day-key file {path}: not a regular file")
    if info.st_uid != os.geteuid():
        raise KeyFileError(
            f"day-key file {path}: owned by uid {info.st_uid}, expected the service user "
            f"(uid {os.geteuid()}); chown it"
        )
    if info.st_mode & 0o077:
        raise KeyFileError(
            f"day-key file {path}: mode {stat.S_IMODE(info.st_mode):04o} lets group or others "
            f"access it; expected 0600 (chmod 600 {path})"
        )


class DayKeyStore:
    """Today's key from the provisioned day-key file; deletes past days' keys from it."""

    def __init__(
        self,
        path: Path,
        *,
        check_owner: bool = True,
        today: Callable[[], date] = office_today,
    ) -> None:
        self.path = path
        self._check_owner = check_owner
        self._today = today
        self._lock = threading.Lock()
        self._keys: DayKeyFile | None = None
        self._stamp: tuple[int, int] | None = None
        self._open()

    def _open(self) -> None:
        if not self.path.exists():
            _LOGGER.warning("day-key file %s does not exist: visitors will be null", self.path)
            return
        if self._check_owner:
            check_key_file_access(self.path)
        self._load()
        self.prune(self._today())

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
            info = self.path.stat()
        except OSError as exc:
            raise KeyFileError(
                f"day-key file {self.path}: cannot read it ({exc.strerror})"
            ) from None
        try:
            self._keys = DayKeyFile.loads(text)
        except ProtocolError as exc:
            raise KeyFileError(f"day-key file {self.path}: {exc.reason}") from None
        self._stamp = (info.st_mtime_ns, info.st_size)

    def _reload_if_changed(self) -> None:
        try:
            info = self.path.stat()
        except OSError:
            return
        if (info.st_mtime_ns, info.st_size) != self._stamp:
            _LOGGER.info("day-key file %s changed: reloading it", self.path)
            if self._check_owner:
                check_key_file_access(self.path)
            self._load()

    def prune(self, today: date) -> int:
        """Delete keys of days before ``today`` from memory and from the file; returns how many."""
        with self._lock:
            if self._keys is None:
                return 0
            kept = self._keys.without_days_before(today)
            removed = len(self._keys.keys) - len(kept.keys)
            self._keys = kept
            if removed:
                self._write(kept)
                _LOGGER.info("deleted %d past day key(s) from %s", removed, self.path)
            return removed

    def _write(self, keys: DayKeyFile) -> None:
        """Replace the file atomically, mode 0600, in the same directory."""
        try:
            fd, tmp = tempfile.mkstemp(prefix=".day-keys-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(keys.dumps())
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
            info = self.path.stat()
            self._stamp = (info.st_mtime_ns, info.st_size)
        except OSError as exc:
            _LOGGER.error(
                "cannot delete past day keys from %s (%s): they stay on disk", self.path, exc
            )

    def key_for(self, day: date) -> bytes | None:
        """The key for ``day`` (normally today); prunes keys of earlier days first."""
        with self._lock:
            if self._keys is None and self.path.exists():
                self._open_locked_free()
            elif self._keys is not None:
                self._reload_if_changed()
        self.prune(day)
        with self._lock:
            return self._keys.key_for(day) if self._keys is not None else None

    def _open_locked_free(self) -> None:
        # Called under the lock; the file appeared after start (late provisioning).
        if self._check_owner:
            check_key_file_access(self.path)
        self._load()
