"""The standing fault and abuse suite (issue 13): real Mosquitto, ``python -m collector``, agents.

Quick mode (default, part of ``make test``) keeps every fault short; ``make faults`` sets
``CF_FAULTS=full`` (the 10-minute partition, 10,000 fuzzed payloads). Each test adds one row to
the table printed at the end of the run: fault, events sent, stored, lost, duplicated, crashes.
"""

from __future__ import annotations

import os

import pytest

from tests.faults.table import FaultRow, FaultTable

FULL = os.environ.get("CF_FAULTS", "") == "full"

_TABLE = FaultTable()


@pytest.fixture(scope="session")
def fault_table() -> FaultTable:
    return _TABLE


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _TABLE.rows:
        terminalreporter.write_sep("=", f"fault suite ({'full' if FULL else 'quick'} mode)")
        for line in _TABLE.render().splitlines():
            terminalreporter.write_line(line)


__all__ = ["FULL", "FaultRow", "fault_table"]
