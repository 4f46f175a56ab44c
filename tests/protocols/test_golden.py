"""Every golden payload: valid ones parse to their type and round-trip; invalid ones fail with
their exact code and reason, both through the library and through ``python -m protocols``."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from protocols import EventRejected, ProtocolError, decode, encode
from protocols.__main__ import main as cli_main
from protocols.topics import Channel, Topic
from tests.protocols.golden_vectors import Vector, vectors

VALID = vectors("valid")
INVALID = vectors("invalid")


def _type_of(message: object) -> str:
    kind = getattr(message, "type", None)
    return str(kind) if kind else type(message).__name__.lower()


def test_every_message_type_on_every_topic_has_a_valid_vector() -> None:
    channels = {Topic.parse(v.topic).channel for v in VALID}
    assert channels == set(Channel)
    types = {v.expect_type for v in VALID}
    assert {"session.started", "session.ended", "rating", "copy.requested"} <= types
    assert {"outbox.dropped", "fault", "heartbeat", "location", "state", "ack"} <= types
    assert {"identify", "reload_config", "set_location", "ping", "command.result"} <= types


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v.name)
def test_valid_vector_parses_and_round_trips(vector: Vector) -> None:
    message = decode(vector.topic, vector.payload)
    assert _type_of(message) == vector.expect_type
    again = decode(vector.topic, encode(message))
    assert again == message


def test_unknown_fields_are_ignored() -> None:
    vector = next(v for v in VALID if v.name == "event-forward-compatible")
    message = decode(vector.topic, vector.payload)
    dumped = json.loads(encode(message))
    assert "trace" not in dumped
    assert "pressed_ms" not in dumped["body"]


@pytest.mark.parametrize("vector", INVALID, ids=lambda v: v.name)
def test_invalid_vector_fails_with_its_exact_reason(vector: Vector) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(vector.topic, vector.payload)
    assert caught.value.code == vector.expect_code
    if vector.expect_reason is not None:
        assert caught.value.reason == vector.expect_reason


def test_oversize_reason_names_the_size_and_the_limit() -> None:
    vector = next(v for v in INVALID if v.name == "oversize")
    with pytest.raises(ProtocolError) as caught:
        decode(vector.topic, vector.payload)
    assert caught.value.reason == f"payload is {len(vector.payload)} bytes; the limit is 16384"


def test_sound_event_envelope_with_bad_body_keeps_its_identity() -> None:
    """PROTOCOL.md: such an event still counts as received for its seq."""
    vector = next(v for v in INVALID if v.name == "score-outside-scale")
    with pytest.raises(EventRejected) as caught:
        decode(vector.topic, vector.payload)
    assert caught.value.seq == 5
    assert caught.value.device == "cm-mueang-chiang-mai-c01"
    assert caught.value.message_id == "0193a1e2-7c4b-7005-8f10-2a3b4c5d6e7f"


def test_unsound_event_envelope_is_not_an_event_rejection() -> None:
    vector = next(v for v in INVALID if v.name == "event-without-seq")
    with pytest.raises(ProtocolError) as caught:
        decode(vector.topic, vector.payload)
    assert not isinstance(caught.value, EventRejected)


def _cli(topic: str, payload: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "protocols", "validate", "--topic", topic],
        input=payload,
        capture_output=True,
        check=False,
        timeout=60,
    )


def _cli_in_process(
    topic: str, payload: bytes, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """``python -m protocols validate`` minus the interpreter start (its ``main``, real stdin
    bytes, real stdout): one process per vector made these tests take 40 s."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(payload)))
    code = cli_main(["validate", "--topic", topic])
    out, err = capsys.readouterr()
    return code, out, err


def test_python_m_protocols_validate_as_a_process() -> None:
    """The entry point itself, once each way: exit code, one line, nothing on stderr."""
    valid, invalid = VALID[0], INVALID[0]
    ok = _cli(valid.topic, valid.payload)
    assert (ok.returncode, ok.stdout.decode().strip(), ok.stderr) == (0, valid.expect_type, b"")
    bad = _cli(invalid.topic, invalid.payload)
    assert bad.returncode == 1, invalid.name
    assert bad.stdout.decode().startswith(f"invalid: {invalid.expect_code}: ")
    assert len(bad.stdout.decode().splitlines()) == 1
    assert bad.stderr == b""


def test_cli_accepts_every_valid_vector(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for vector in VALID:
        code, out, err = _cli_in_process(vector.topic, vector.payload, monkeypatch, capsys)
        assert code == 0, (vector.name, out, err)
        assert out.strip() == vector.expect_type
        assert err == ""


def test_cli_rejects_every_invalid_vector_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for vector in INVALID:
        code, out, err = _cli_in_process(vector.topic, vector.payload, monkeypatch, capsys)
        assert code == 1, vector.name
        lines = out.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"invalid: {vector.expect_code}: "), (vector.name, lines)
        assert err == ""
