"""The counter's printer through CUPS: the PDF goes to ``lp`` on its standard input, so no file
of it is ever written by the agent; and the printer's state for ``agent check``.

CUPS's own spool holds the job while it prints: set ``PreserveJobFiles No`` in cupsd.conf on
the counter (docs/OFFICER-VIEW.md) so it is deleted when printed.
"""

from __future__ import annotations

import re
import subprocess

_REQUEST = re.compile(r"request id is (\S+)")
TIMEOUT_S = 30.0
JOB_TITLE = "office-copy"  # never the citizen's name: job titles are logged by CUPS


class PrintError(Exception):
    """The copy was not accepted by CUPS; the message is one line, no personal data."""


def _server(server: str | None) -> list[str]:
    return ["-h", server] if server else []


def print_pdf(pdf: bytes, *, printer: str | None, server: str | None, options: list[str]) -> str:
    """Send ``pdf`` to CUPS; returns the job id (``queue-N``)."""
    cmd = ["lp", *_server(server), "-t", JOB_TITLE, "-o", "job-sheets=none"]
    for option in options:
        cmd += ["-o", option]
    if printer:
        cmd += ["-d", printer]
    cmd.append("-")
    try:
        done = subprocess.run(cmd, input=pdf, capture_output=True, timeout=TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise PrintError("lp not found: install cups-client") from None
    except subprocess.TimeoutExpired:
        raise PrintError(f"lp did not answer within {TIMEOUT_S:g} s") from None
    out = done.stdout.decode(errors="replace")
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip().splitlines()
        raise PrintError(err[0][:200] if err else f"lp exited {done.returncode}")
    match = _REQUEST.search(out)
    return match.group(1) if match else "?"


def printer_state(printer: str | None, server: str | None) -> tuple[bool, str]:
    """(usable, one line) from ``lpstat``: the queue exists, is enabled and accepting."""
    base = ["lpstat", *_server(server)]
    try:
        if printer is None:
            done = subprocess.run([*base, "-d"], capture_output=True, timeout=10, check=False)
            text = done.stdout.decode(errors="replace")
            if "system default destination:" not in text:
                return False, "no printer named and no CUPS default destination"
            printer = text.split(":", 1)[1].strip()
        done = subprocess.run([*base, "-p", printer], capture_output=True, timeout=10, check=False)
        accept = subprocess.run(
            [*base, "-a", printer], capture_output=True, timeout=10, check=False
        )
    except FileNotFoundError:
        return False, "lpstat not found: install cups-client"
    except subprocess.TimeoutExpired:
        return False, "CUPS did not answer within 10 s"
    state = done.stdout.decode(errors="replace").strip()
    if done.returncode != 0 or not state:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        return False, f"printer {printer!r}: {why[0] if why else 'unknown to CUPS'}"
    accepting = "not accepting" not in accept.stdout.decode(errors="replace")
    enabled = "disabled" not in state.splitlines()[0]
    summary = state.splitlines()[0][:120]
    if not (enabled and accepting):
        return False, f"{summary}{'' if accepting else ' (not accepting jobs)'}"
    return True, summary
