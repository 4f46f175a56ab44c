"""systemd's notify protocol over $NOTIFY_SOCKET (READY, WATCHDOG, STOPPING), no library.

Outside systemd (no $NOTIFY_SOCKET) every call is a no-op. The watchdog must be fed at least
every ``WatchdogSec``; :func:`watchdog_interval` returns half of it, as sd_watchdog_enabled
recommends.
"""

from __future__ import annotations

import logging
import os
import socket

_LOGGER = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]  # abstract namespace
        self._address = address or None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        valid_pid = not pid or pid == str(os.getpid())
        self._watchdog_s = int(usec) / 1e6 if usec.isdigit() and valid_pid else None

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def watchdog_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 pings, or None when the watchdog is off."""
        return None if self._watchdog_s is None else self._watchdog_s / 2

    def notify(self, state: str) -> bool:
        if self._address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(state.encode(), self._address)
        except OSError as exc:
            _LOGGER.warning("sd_notify %s failed: %s", state, exc)
            return False
        return True

    def ready(self) -> bool:
        return self.notify("READY=1")

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")
