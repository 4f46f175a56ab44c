"""The master pepper (PROTOCOL.md "Visitor pseudonym"): read once at start from ``CF_PEPPER_FILE``.

It never leaves the central side: the collector derives each office's day keys from it and sends
a device only its own office's key for one day. The file must belong to the collector's user
and be unreadable by group and others, else the collector refuses to start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from collector.errors import ConfigError
from protocols.day_keys import parse_pepper
from protocols.pseudonym import PEPPER_BYTES


def load_pepper(path: Path) -> bytes:
    """The pepper's bytes, or :class:`ConfigError` naming ``CF_PEPPER_FILE``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise ConfigError(f"CF_PEPPER_FILE: cannot open {path} ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"CF_PEPPER_FILE: {path} is not a regular file")
        if info.st_uid != os.geteuid():
            raise ConfigError(
                f"CF_PEPPER_FILE: {path} is owned by uid {info.st_uid}, not the collector's "
                f"user (uid {os.geteuid()})"
            )
        if info.st_mode & 0o077:
            raise ConfigError(
                f"CF_PEPPER_FILE: {path} has mode {stat.S_IMODE(info.st_mode):04o}: group or "
                f"others can read it; chmod 600 {path}"
            )
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            raw = handle.read(4096)
    finally:
        if fd >= 0:
            os.close(fd)
    pepper = parse_pepper(raw)
    if len(pepper) < PEPPER_BYTES:
        raise ConfigError(
            f"CF_PEPPER_FILE: {path} holds {len(pepper)} bytes; the pepper needs {PEPPER_BYTES}+"
        )
    return pepper
