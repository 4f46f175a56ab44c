"""The standing fault and abuse suite (issue 13): real Mosquitto, ``python -m collector``, agents.

Quick mode (default, part of ``make test``) keeps every fault short; ``make faults`` sets
``CF_FAULTS=full`` (the 10-minute partition, 10,000 fuzzed payloads). Each test adds one row to
the table printed at the end of the run: fault, events sent, stored, lost, duplicated, crashes.
The ``fault_table`` fixture and the printing live in tests/faults/report.py, a plugin of
tests/conftest.py, so that the table is printed under pytest-xdist too.
"""

from __future__ import annotations

from tests.faults.report import FULL
from tests.faults.table import FaultRow, FaultTable

__all__ = ["FULL", "FaultRow", "FaultTable"]
