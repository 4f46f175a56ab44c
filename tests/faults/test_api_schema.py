"""Schemathesis over the collector's OpenAPI document, against ``python -m collector`` over HTTP:
no 500 for any generated request, and every answer conforms to the document (a status it lists,
a body on its schema); the fault table counts the operations that answered off it (0, or the
test fails).

Each operation is called twice per example: as generated (no credential, or a made-up bearer
token: 401 paths) and with the ops token (the handlers' own answers). The rate limits are raised
for this run so that the generated refusals do not turn every later answer into a 429 (which
the document lists, but which would leave the handlers untested).

Schemathesis's pytest plugin does not run under pytest 9 here (``Function._nodeid``), so the
operations are driven from hypothesis directly with schemathesis's own strategies and checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, positive_data_acceptance

from tests.faults.conftest import FULL
from tests.faults.system import FaultSystem
from tests.faults.table import FaultRow, FaultTable
from tests.fixtures.broker import MosquittoBroker

pytestmark = pytest.mark.slow

EXAMPLES = 100 if FULL else 5
# 5xx are counted apart (server_errors); "schema-valid request rejected" is not an answer off the
# document: the API refuses, with a 422 naming the field, cross-field rules JSON Schema does not
# state (lat and lon go together, the id in the body is the one in the path, the import's body
# is a JSON or CSV file that it reads itself).
EXCLUDED = [not_a_server_error, positive_data_acceptance]


def test_schemathesis_over_the_openapi_document(
    mosquitto: MosquittoBroker, tmp_path: Path, fault_table: FaultTable
) -> None:
    limits = {
        "CF_RATE_LIMIT_PUBLIC": "100000/minute",
        "CF_RATE_LIMIT_TOKEN": "100000/minute",
        "CF_RATE_LIMIT_AUTH_FAILURES": "100000/minute",
    }
    system = FaultSystem(tmp_path, mosquitto, env=limits).start()
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
                for headers in (None, system.ops_headers):
                    response = case.call(base_url=system.collector.url, headers=headers, timeout=30)
                    row.sent += 1
                    # 503 is an answer (broker down, email not configured) the document
                    # must list; any other 5xx is a server error
                    if response.status_code >= 500 and response.status_code != 503:
                        server_errors.append(
                            f"{case.method} {case.formatted_path}: {response.text}"
                        )
                    try:
                        case.validate_response(response, excluded_checks=EXCLUDED)
                    except (AssertionError, BaseExceptionGroup) as exc:  # a FailureGroup
                        # call() runs at once, inside this iteration: label is the current one
                        off_schema.setdefault(label, _first_failure(exc))  # noqa: B023

            call()
        system.check_collector()
    finally:
        system.stop()
    row.stored = row.sent - len(server_errors)
    row.crashes = len(server_errors) + system.collector_crashes
    row.note = f"{len(operations)} operations; off-schema answers in {len(off_schema)}"
    assert not server_errors, server_errors[:5]
    assert row.crashes == 0
    assert not off_schema, "\n".join(f"{op}: {why}" for op, why in off_schema.items())


def _first_failure(exc: BaseException) -> str:
    """The check that failed and what it saw, in a few lines of schemathesis's report."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " | ".join(line for line in lines[1:6] if not line.startswith("Reproduce"))[:400]
