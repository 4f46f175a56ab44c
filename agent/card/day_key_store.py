"""The day keys the device holds (PROTOCOL.md "Visitor pseudonym"), from the provisioned file.

At start the file must belong to the service user and be unreadable by group and others. Keys
of past days are deleted from the file as soon as they are seen (a stolen device then reveals
nothing about earlier visitors). The file is re-read when it changes (a refresh from enrolment).
The file names its scheme (cf1 or cf2); every key handed out carries that scheme, so a pseudonym
is always made the way its key demands. :meth:`DayKeyStore.install` adds one key delivered by the
collector (``day_key.set``): today's or tomorrow's only, never a weaker scheme over a stronger one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from agent.card.errors import KeyFileError
from protocols import now
from protocols.day_keys import DayKeyFile
from protocols.errors import ProtocolError
from protocols.pseudonym import DayKey, Scheme

_LOGGER = logging.getLogger(__name__)


_PATH_LOCKS: dict[Path, threading.Lock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    """One lock per key file in this process: the card's store pruning and a delivered key
    being installed must not interleave their read-modify-write of the same file."""
    with _PATH_LOCKS_GUARD:
        return _PATH_LOCKS.setdefault(path.absolute(), threading.Lock())


def office_today() -> date:
    """The office-local date (Asia/Bangkok) that selects the day key and the age."""
    return now().date()


class DayKeys(Protocol):
    """Where a card source gets today's key from."""

    def key_for(self, day: date) -> DayKey | None: ...


class StaticDayKeys:
    """Day keys held in memory (demo and fleet simulator: no file, nothing to delete)."""

    def __init__(self, keys: DayKeyFile) -> None:
        self._keys = keys

    def key_for(self, day: date) -> DayKey | None:
        return self._keys.day_key(day)


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
        self._lock = _lock_for(path)
        self._keys: DayKeyFile | None = None
        self._stamp: tuple[int, int] | None = None
        if not self.path.exists():
            _LOGGER.warning("day-key file %s does not exist: visitors will be null", self.path)
        self.prune(self._today())

    @property
    def scheme(self) -> Scheme | None:
        """The scheme of the file's keys (None without a file)."""
        with self._lock:
            self._refresh()
            return self._keys.scheme if self._keys is not None else None

    def _refresh(self) -> None:
        """Under the lock: (re)load the file when it appeared or changed on disk."""
        try:
            info = self.path.stat()
        except OSError:
            return
        if self._keys is not None and (info.st_mtime_ns, info.st_size) == self._stamp:
            return
        if self._keys is not None:
            _LOGGER.info("day-key file %s changed: reloading it", self.path)
        if self._check_owner:
            check_key_file_access(self.path)
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

    def prune(self, today: date) -> int:
        """Delete keys of days before ``today`` from memory and from the file; returns how many."""
        with self._lock:
            self._refresh()
            return self._prune_locked(today)

    def _prune_locked(self, today: date) -> int:
        if self._keys is None:
            return 0
        kept = self._keys.without_days_before(today)
        removed = len(self._keys.keys) - len(kept.keys)
        self._keys = kept
        if removed:
            try:
                self._write(kept)
                _LOGGER.info("deleted %d past day key(s) from %s", removed, self.path)
            except OSError as exc:
                _LOGGER.error(
                    "cannot delete past day keys from %s (%s): they stay on disk", self.path, exc
                )
        return removed

    def _write(self, keys: DayKeyFile) -> None:
        """Replace the file atomically, mode 0600, in the same directory."""
        fd, tmp = tempfile.mkstemp(prefix=".day-keys-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                os.fchmod(out.fileno(), 0o600)
                out.write(keys.dumps())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        info = self.path.stat()
        self._stamp = (info.st_mtime_ns, info.st_size)

    def key_for(self, day: date) -> DayKey | None:
        """The key for ``day`` (normally today) with its scheme; prunes earlier days first."""
        with self._lock:
            self._refresh()
            self._prune_locked(day)
            return self._keys.day_key(day) if self._keys is not None else None

    def install(self, scheme: Scheme, office: str | None, day: date, key: bytes) -> str:
        """Store one delivered key atomically; returns a one-line account (no key in it).

        Only today's or tomorrow's key is taken (a device holds no more). A key of another
        office or a first cf2 key replaces the file; a cf1 key over cf2 keys is refused.
        """
        today = self._today()
        if day not in (today, today + timedelta(days=1)):
            raise KeyFileError(
                f"date: {day.isoformat()} is neither today ({today.isoformat()}) nor tomorrow"
            )
        with self._lock:
            if self._check_owner and self.path.exists():
                check_key_file_access(self.path)  # even when only its mode changed
            self._refresh()
            current = self._keys if self._keys is not None else DayKeyFile(keys={})
            try:
                updated = current.with_key(scheme, office, day, key).without_days_before(today)
            except ProtocolError as exc:
                raise KeyFileError(f"scheme: {exc.reason}") from None
            try:
                self._write(updated)
            except OSError as exc:
                raise KeyFileError(
                    f"day-key file {self.path}: cannot write it ({exc.strerror})"
                ) from None
            self._keys = updated
        days = ", ".join(d.isoformat() for d in sorted(updated.keys))
        _LOGGER.info("stored the %s day key for %s; file holds %s", scheme, day, days)
        return f"stored {scheme} day key for {day.isoformat()}; holding {days}"
