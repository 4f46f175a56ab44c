"""A pre-allocated file that holds back disk space for the one write that must never fail.

When the disk fills, the outbox cannot write an event; the agent then releases this reserve
(deletes the file) so that the ``outbox.dropped`` declaring the loss fits (issue 13, defect 5).
The reserve is taken again once the disk has room for it several times over.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

RESERVE_BYTES = 1024 * 1024
"""Enough for several WAL commits of one small event plus the counters (4 KiB pages)."""


class DiskReserve:
    def __init__(self, path: Path, size: int = RESERVE_BYTES) -> None:
        self.path = path
        self.size = size

    @property
    def held(self) -> bool:
        try:
            return self.path.stat().st_size >= self.size
        except OSError:
            return False

    def take(self) -> bool:
        """Allocate the reserve (real blocks, not a sparse file); False when there is no room."""
        if self.held:
            return True
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, self.size)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            _LOGGER.warning("disk reserve %s not taken: %s", self.path, exc)
            self.release()
            return False
        return True

    def take_if_room(self) -> bool:
        """Take the reserve again once the disk has room for it four times over."""
        if self.held:
            return True
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError:
            return False
        return free >= 4 * self.size and self.take()

    def release(self) -> bool:
        """Give the space back to the filesystem; True if there was a reserve to give."""
        with contextlib.suppress(OSError):
            self.path.unlink()
            return True
        return False
