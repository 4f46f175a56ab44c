"""The virtual card's command line: clear one-line errors, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.card.synthetic_person import SyntheticPerson


def run_card(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator.card.virtual_card", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_vpcd_is_one_clear_line() -> None:
    result = run_card("--port", str(closed_port()), "--connect-timeout", "0.2")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "cannot reach vpcd" in lines[0]
    assert "is pcscd running" in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--atr", "zz"], "non-hexadecimal"),
        (["--sw", "read=6F"], "a status word is 2 bytes"),
        (["--person", "/nonexistent/person.json"], "No such file"),
    ],
)
def test_bad_options_are_one_clear_line(args: list[str], message: str) -> None:
    result = run_card("--port", str(closed_port()), *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_person_file_with_unknown_field(tmp_path: Path) -> None:
    path = tmp_path / "person.json"
    path.write_text('{"citizen_id": "1999900000013", "religion": "x"}')
    result = run_card("--person", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == "virtual_card: unknown person field(s): religion"


def test_person_json_round_trip() -> None:
    person = SyntheticPerson(birth_date="25300000", expiry_date="99999999")
    assert SyntheticPerson.from_json(person.to_json()) == person
    assert "1999900000013" not in repr(person)
