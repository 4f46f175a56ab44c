"""Schemathesis over the collector's OpenAPI document, against ``python -m collector`` over HTTP:
no 500 for any generated request; answers that do not conform to the document are counted in
the fault table (a status the document does not list, a body off its schema).

Schemathesis's pytest plugin does not run under pytest 9 here (``Function._nodeid``), so the
operations are driven from hypothesis directly with schemathesis's own strategies and checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.faults.conftest import FULL
from tests.faults.system import FaultSystem
from tests.faults.table import FaultRow, FaultTable
from tests.fixtures.broker import MosquittoBroker

pytestmark = pytest.mark.slow

EXAMPLES = 100 if FULL else 5


def test_schemathesis_over_the_openapi_document(
    mosquitto: MosquittoBroker, tmp_path: Path, fault_table: FaultTable
) -> None:
    system = FaultSystem(tmp_path, mosquitto).start()
    row = fault_table.add(FaultRow(fault="schemathesis over /openapi.json"))
    server_errors: list[str] = []
    off_schema: dict[str, str] = {}
    try:
        schema = schemathesis.openapi.from_url(f"{system.collector.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        for operation in operations:
            label = operation.label

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy())
            def call(case: schemathesis.Case) -> None:
                response = case.call(base_url=system.collector.url, timeout=30)
                row.sent += 1
                if response.status_code >= 500:
                    server_errors.append(f"{case.method} {case.formatted_path}: {response.text}")
                try:
                    case.validate_response(response, excluded_checks=[not_a_server_error])
                except (AssertionError, BaseExceptionGroup) as exc:  # a FailureGroup
                    # call() runs at once, inside this iteration: label is the current one
                    off_schema.setdefault(label, str(exc).splitlines()[0][:120])  # noqa: B023

            call()
        system.check_collector()
    finally:
        system.stop()
    row.stored = row.sent - len(server_errors)
    row.crashes = len(server_errors) + system.collector_crashes
    row.note = f"{len(operations)} operations; off-schema answers in {len(off_schema)}"
    assert not server_errors, server_errors[:5]
    assert row.crashes == 0
    if off_schema:  # the API's documented answers are another engineer's items (9-12)
        example = next(iter(off_schema.items()))
        pytest.xfail(
            f"issue 13 items 9-12: {len(off_schema)} operations off-schema, e.g. {example}"
        )
