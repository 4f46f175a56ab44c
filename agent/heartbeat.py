"""The heartbeat's system figures, read from /proc, /sys/class/thermal and the disk.

``uptime_s`` is the agent's own uptime (a restart shows as a drop), measured on the agent's
clock. ``clock_synced`` asks, in order:

1. the kernel through ``adjtimex(2)`` (read-only, no privileges, works with chrony,
   systemd-timesyncd and ntpd alike): synchronised means the call does not return TIME_ERROR
   and STA_UNSYNC is clear. systemd's ``ProtectClock=yes`` filters the whole ``@clock`` syscall
   group, read-only calls included (EPERM); then
2. systemd-timesyncd's flag file ``/run/systemd/timesync/synchronized``; then
3. chrony: ``chronyc -n -c tracking`` (monitoring over chrony's local command port), synced
   unless the leap status is "Not synchronised".

When none of them answers, the clock is reported as not synced, never as synced. Any other
figure that cannot be read is None (the protocol allows it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


TIMESYNCD_FLAG = Path("/run/systemd/timesync/synchronized")


@functools.cache
def _libc() -> ctypes.CDLL:
    """Loaded once: ``find_library`` forks ``ldconfig -p`` on every call."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def kernel_clock_synced() -> bool | None:
    """The kernel's view via ``adjtimex``; None when the call is not allowed or missing."""
    try:
        libc = _libc()
        timex = _Timex()  # modes = 0: read only
        state = libc.adjtimex(ctypes.byref(timex))
    except (OSError, AttributeError):
        return None
    if state == -1:
        return None  # EPERM under a seccomp filter (systemd ProtectClock=yes)
    return state != TIME_ERROR and not timex.status & STA_UNSYNC


def chrony_tracking_synced(csv_line: str) -> bool | None:
    """Parse one line of ``chronyc -n -c tracking``; its last field is the leap status."""
    fields = csv_line.strip().split(",")
    if len(fields) < 10:
        return None
    return fields[-1].strip() != "Not synchronised"


def chrony_synced() -> bool | None:
    chronyc = shutil.which("chronyc")
    if chronyc is None:
        return None
    try:
        out = subprocess.run(
            [chronyc, "-n", "-c", "tracking"],
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return chrony_tracking_synced(out.stdout) if out.returncode == 0 else None


def clock_synced(
    *,
    kernel: Callable[[], bool | None] = kernel_clock_synced,
    timesyncd_flag: Path = TIMESYNCD_FLAG,
    chrony: Callable[[], bool | None] = chrony_synced,
) -> bool:
    """True only when a source says the clock is synchronised (see module doc)."""
    answer = kernel()
    if answer is not None:
        return answer
    if timesyncd_flag.exists():
        return True
    return bool(chrony())


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
        # What an unprivileged writer may use (statvfs f_bavail), as psutil reported it.
        return round(shutil.disk_usage(path).free / 1e6, 1)
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
