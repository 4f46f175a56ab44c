"""Topic names, the schema command, and the day-key file."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import jsonschema
import pytest

import protocols as p
from protocols.day_keys import DayKeyFile, make_day_keys
from tests.protocols.golden_vectors import vectors


def test_topic_builds_and_parses() -> None:
    name = p.topic("cm-hang-dong-dol-c02", p.Channel.COMMAND_RESULTS)
    assert name == "cf/v1/devices/cm-hang-dong-dol-c02/command-results"
    parsed = p.Topic.parse(name)
    assert parsed == p.Topic("cm-hang-dong-dol-c02", p.Channel.COMMAND_RESULTS)
    assert str(parsed) == name


@pytest.mark.parametrize(
    "bad",
    [
        "cf/v1/devices/ab/events",
        "cf/v1/devices/-abc/events",
        "cf/v1/devices/a" + "b" * 64 + "/acks",
    ],
)
def test_topic_rejects_bad_device_ids(bad: str) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.Topic.parse(bad)
    assert caught.value.code == "bad_device_id"


def test_subscription_filters() -> None:
    assert p.subscription(p.Channel.EVENTS) == "cf/v1/devices/+/events"
    assert (
        p.subscription(p.Channel.EVENTS, shared_group="collectors")
        == "$share/collectors/cf/v1/devices/+/events"
    )
    assert p.subscription(p.Channel.ACKS, device="cm-x-c01") == "cf/v1/devices/cm-x-c01/acks"
    with pytest.raises(p.ProtocolError):
        p.subscription(p.Channel.ACKS, device="#")


def _schema_cli(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "protocols", "schema", *args],
        capture_output=True,
        check=True,
        timeout=60,
    )
    doc = json.loads(out.stdout)
    assert isinstance(doc, dict)
    return doc


def test_asyncapi_document_covers_every_channel() -> None:
    doc = _schema_cli()
    assert doc["asyncapi"] == "3.0.0"
    channels = doc["channels"]
    assert isinstance(channels, dict)
    addresses = {c["address"] for c in channels.values()}
    assert addresses == {f"cf/v1/devices/{{device_id}}/{c.value}" for c in p.Channel}
    components = doc["components"]
    assert isinstance(components, dict)
    for channel in channels.values():
        for ref in channel["messages"].values():
            name = ref["$ref"].rsplit("/", 1)[-1]
            assert name in components["messages"]


def test_json_schemas_accept_every_valid_golden_payload() -> None:
    schemas = _schema_cli("--format", "jsonschema")
    for vector in vectors("valid"):
        channel = p.Topic.parse(vector.topic).channel
        schema = schemas[f"cf/v1/devices/{{device_id}}/{channel.value}"]
        jsonschema.validate(json.loads(vector.payload), schema)


def test_day_key_file_round_trips_and_forgets_past_days() -> None:
    pepper = bytes(range(32))
    keys = make_day_keys(pepper, date(2026, 11, 24), 3)
    again = DayKeyFile.loads(keys.dumps())
    assert again == keys
    assert again.key_for(date(2026, 11, 25)) == p.day_key(pepper, date(2026, 11, 25))
    trimmed = again.without_days_before(date(2026, 11, 25))
    assert trimmed.key_for(date(2026, 11, 24)) is None
    assert sorted(trimmed.keys) == [date(2026, 11, 25), date(2026, 11, 26)]


@pytest.mark.parametrize(
    "text",
    ["[]", '{"v": 1}', '{"v": 1, "keys": {"2026-13-01": "00"}}', '{"keys": {"2026-11-25": "AB"}}'],
)
def test_bad_day_key_files_are_refused(text: str) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        DayKeyFile.loads(text)
    assert caught.value.code == "bad_day_keys"


def test_day_keys_cli(tmp_path: Path) -> None:
    pepper = tmp_path / "pepper"
    pepper.write_text(bytes(range(32)).hex())
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "protocols",
            "day-keys",
            "--pepper-file",
            str(pepper),
            "--from",
            "2026-11-25",
            "--days",
            "2",
            "--scheme",
            "cf1",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    doc = DayKeyFile.loads(out.stdout.decode())
    assert doc.key_for(date(2026, 11, 25)) == p.day_key(bytes(range(32)), date(2026, 11, 25))
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "protocols",
            "day-keys",
            "--pepper-file",
            str(tmp_path / "nope"),
            "--office",
            "cm-x-dol",
        ],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert missing.returncode == 2
    assert missing.stderr.decode().count("\n") == 1
    assert "cannot read pepper file" in missing.stderr.decode()
