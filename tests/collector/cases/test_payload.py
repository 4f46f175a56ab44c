"""The payload against its JSON Schema: office and pin, rounded window, contact only with consent,
never the visitor pseudonym."""

from __future__ import annotations

import json

import jsonschema
import pytest

from collector.cases import CaseContact
from collector.cases.payload import build_payload, load_schema, office_of, rounded_window
from collector.storage import Driver
from tests.collector.cases.helpers import PSEUDONYM, T0, open_cases


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema())


@pytest.mark.parametrize(
    ("start", "end", "step", "expected"),
    [
        (T0 + 61_000, T0 + 62_000, 15, (T0 - T0 % 900_000, T0 - T0 % 900_000 + 900_000)),
        (0, 0, 15, (0, 900_000)),
        (899_999, 900_001, 15, (0, 1_800_000)),
    ],
)
def test_window_widened_to_whole_steps(
    start: int, end: int, step: int, expected: tuple[int, int]
) -> None:
    assert rounded_window(start, end, step) == expected


async def _payload(driver: Driver, contact: CaseContact | None) -> dict[str, object]:
    [case_id] = await open_cases(driver, 1, contact=contact)
    case = await driver.fetchrow(
        "SELECT c.*, o.idempotency_key FROM cases c JOIN case_outbox o "
        "ON o.case_id = c.case_id WHERE c.case_id = ?",
        case_id,
    )
    assert case is not None
    office = await office_of(driver, str(case["office_id"]))
    return build_payload(case, office, contact, round_min=15)


async def test_payload_valid_without_contact(driver: Driver) -> None:
    payload = await _payload(driver, None)
    jsonschema.validate(payload, load_schema(), format_checker=jsonschema.FormatChecker())
    assert "contact" not in payload
    assert payload["office"] == {  # type: ignore[comparison-overlap]
        "office_id": "OFF-BKK-01",
        "name_th": "สำนักงานเขตบางรัก",
        "name_en": "OFF-BKK-01",
        "province": "",
        "pin": {"lat": 13.7291, "lon": 100.5246, "source": "registered"},
    }
    window = payload["window"]
    assert isinstance(window, dict)
    assert window["from"].endswith(("00:00Z", "15:00Z", "30:00Z", "45:00Z"))
    assert window["to"].endswith(("00:00Z", "15:00Z", "30:00Z", "45:00Z"))


async def test_payload_with_consented_contact_and_computed_pin(driver: Driver) -> None:
    async with driver.transaction() as tx:
        await tx.execute(
            "INSERT INTO office_pins (office_id, lat, lon, source, computed_ms) "
            "VALUES ('OFF-BKK-01', 13.73, 100.525, 'gps', 0)"
        )
    payload = await _payload(driver, CaseContact("email", "somying.test@example.invalid"))
    jsonschema.validate(payload, load_schema())
    assert payload["contact"] == {
        "kind": "email",
        "value": "somying.test@example.invalid",
        "consent": True,
    }
    assert payload["office"]["pin"] == {"lat": 13.73, "lon": 100.525, "source": "gps"}  # type: ignore[index]


async def test_pseudonym_never_in_payload(driver: Driver) -> None:
    async with driver.transaction() as tx:  # a rating event of the same visitor, same counter
        await tx.execute(
            "INSERT INTO events (id, device_id, seq, type, ts_ms, received_ms, session, body) "
            "VALUES ('e1', 'dev-1', 1, 'rating', ?, ?, ?, '{}')",
            T0,
            T0,
            PSEUDONYM,
        )
    payload = await _payload(driver, None)
    assert PSEUDONYM not in json.dumps(payload)
    assert not {"session", "pseudonym", "visitor"} & set(payload)


def test_schema_refuses_unknown_fields() -> None:
    schema = load_schema()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"schema": "complaint-v1", "pseudonym": PSEUDONYM}, schema)


async def test_case_id_does_not_carry_the_time(driver: Driver) -> None:
    """The case id goes to the centre: it must not be a time-ordered (v7/v1) UUID."""
    import uuid  # noqa: PLC0415

    ids = await open_cases(driver, 3)
    assert {uuid.UUID(i).version for i in ids} == {4}
