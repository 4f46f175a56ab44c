"""The heartbeat's system figures, read from /proc, /sys/class/thermal and the disk.

``uptime_s`` is the agent's own uptime (a restart shows as a drop), measured on the agent's
clock. ``clock_synced`` asks the kernel through ``adjtimex(2)`` (read-only, no privileges, works
with chrony, systemd-timesyncd and ntpd alike): synchronised means the call does not return
TIME_ERROR and STA_UNSYNC is clear. When the call is unavailable the answer is False: an
unknown clock is reported as not synced, never as synced. Any figure that cannot be read is
None (the protocol allows it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import psutil

_LOGGER = logging.getLogger(__name__)

TIME_ERROR = 5
STA_UNSYNC = 0x0040


class _Timex(ctypes.Structure):
    # The leading fields of struct timex (linux/timex.h); the rest is padding we never read.
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("_rest", ctypes.c_byte * 256),
    ]


def clock_synced() -> bool:
    """True only when the kernel says the clock is synchronised (see module doc)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        timex = _Timex()  # modes = 0: read only
        state = libc.adjtimex(ctypes.byref(timex))
    except (OSError, AttributeError):
        return False
    return state not in (-1, TIME_ERROR) and not timex.status & STA_UNSYNC


def cpu_temp_c(root: Path = Path("/sys/class/thermal")) -> float | None:
    """The CPU's thermal zone (``cpu``/``soc`` type first, else the first zone), in °C."""
    zones = sorted(root.glob("thermal_zone*"))
    preferred = []
    for zone in zones:
        try:
            kind = (zone / "type").read_text().strip().lower()
        except OSError:
            continue
        if "cpu" in kind or "soc" in kind:
            preferred.append(zone)
    for zone in [*preferred, *zones]:
        try:
            return round(int((zone / "temp").read_text().strip()) / 1000, 1)
        except (OSError, ValueError):
            continue
    return None


def load1() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def mem_used_pct(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    try:
        fields = dict(
            line.split(":", 1) for line in meminfo.read_text().splitlines() if ":" in line
        )
        total = int(fields["MemTotal"].split()[0])
        available = int(fields["MemAvailable"].split()[0])
    except (OSError, KeyError, ValueError):
        return None
    return round(100 * (total - available) / total, 1) if total else None


def disk_free_mb(path: Path) -> float | None:
    try:
        return round(psutil.disk_usage(str(path)).free / 1e6, 1)
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class SystemFigures:
    cpu_temp_c: float | None
    load1: float | None
    mem_used_pct: float | None
    disk_free_mb: float | None
    clock_synced: bool


def read_system(data_dir: Path) -> SystemFigures:
    """One reading of every system figure (``data_dir``: where the outbox lives)."""
    return SystemFigures(
        cpu_temp_c=cpu_temp_c(),
        load1=load1(),
        mem_used_pct=mem_used_pct(),
        disk_free_mb=disk_free_mb(data_dir),
        clock_synced=clock_synced(),
    )
