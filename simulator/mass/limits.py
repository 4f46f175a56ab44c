"""File descriptors: one per simulated device (paho's external loop opens no socket pair)."""

from __future__ import annotations

import resource

RESERVE_FDS = 256  # stdio, the event loop, logs, HTTP calls


def raise_nofile(devices: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE to fit ``devices`` sockets (up to the hard
    limit); return the new soft limit. Children started afterwards (a broker) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = devices + RESERVE_FDS
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def check_nofile(devices: int) -> str | None:
    """A one-line problem when ``devices`` sockets cannot fit, else None."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < devices + RESERVE_FDS:
        return (
            f"--mass {devices}: needs {devices + RESERVE_FDS} file descriptors, the hard limit "
            f"allows {soft} (raise it: ulimit -Hn, or LimitNOFILE= in a unit)"
        )
    return None
