"""The fault table across pytest-xdist workers (a plugin registered by tests/conftest.py).

A fault test adds rows to the ``fault_table`` of its own process. When the test is over (its
teardown report), the rows it added travel in that report's ``user_properties``, which xdist
sends to the controlling process; the controller collects them and prints the table at the
end of the run. Without xdist the same path runs in one process.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import asdict
from typing import Any

import pytest

from tests.faults.table import FaultRow, FaultTable

FULL = os.environ.get("CF_FAULTS", "") == "full"
_PROPERTY = "fault_row"

_TABLE = FaultTable()  # rows added by the tests of this process
_SENT = 0  # how many of them went out in reports
_SHOWN = FaultTable()  # rows received from reports (every worker's), printed at the end


@pytest.fixture(scope="session")
def fault_table() -> FaultTable:
    return _TABLE


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any]:
    global _SENT  # noqa: PLW0603 - one table per process
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "teardown" and len(_TABLE.rows) > _SENT:
        for row in _TABLE.rows[_SENT:]:  # final now: the test and its fixtures are done
            report.user_properties.append((_PROPERTY, asdict(row)))
        _SENT = len(_TABLE.rows)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        for name, value in report.user_properties:
            if name == _PROPERTY:
                _SHOWN.add(FaultRow(**value))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SHOWN.rows:
        terminalreporter.write_sep("=", f"fault suite ({'full' if FULL else 'quick'} mode)")
        for line in _SHOWN.render().splitlines():
            terminalreporter.write_line(line)
