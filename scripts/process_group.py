"""Child processes of the demo, each in its own session, stopped by process group.

Each child gets ``start_new_session=True``: a terminal's Ctrl-C reaches only the orchestrator,
which then stops the children in order (simulator first, so every agent can say ``offline``),
each by its process group so that nothing it started survives it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path


class Child:
    """One named child process; ``stop()`` signals its group, waits, then kills the group."""

    def __init__(
        self,
        name: str,
        args: list[str],
        *,
        env: dict[str, str] | None = None,
        log: Path | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.log = log
        out = log.open("ab") if log is not None else None
        try:
            self.process = subprocess.Popen(
                args,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT if out is not None else None,
                start_new_session=True,
            )
        finally:
            if out is not None:
                out.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 1500) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 20.0) -> int | None:
        """Signal the group, wait up to ``timeout_s``, then SIGKILL whatever is left of it."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout_s)
        # The leader may be gone while helpers of its group live on: sweep the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        return self.process.returncode
