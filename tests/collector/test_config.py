"""Configuration: environment variables, the settings file, and one-line errors naming the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from collector.config import load_settings
from collector.errors import ConfigError
from tests.fixtures.collector_process import REPO


def test_defaults_and_derived_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_MQTT_URL", "mqtts://collector:s%40cret@broker.example:8883")
    monkeypatch.setenv("CF_DB_URL", "postgresql://cf@db:5432/cf")
    s = load_settings()
    assert (s.mqtt_host, s.mqtt_port, s.mqtt_tls) == ("broker.example", 8883, True)
    assert (s.mqtt_username, s.mqtt_password) == ("collector", "s@cret")
    assert s.is_postgres


def test_settings_file_adds_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "collector.toml"
    path.write_text('db_url = "/srv/cf.db"\nhttp_port = 9000\n')
    monkeypatch.setenv("CF_SETTINGS_FILE", str(path))
    monkeypatch.setenv("CF_HTTP_PORT", "9100")
    s = load_settings()
    assert (str(s.sqlite_path), s.http_port) == ("/srv/cf.db", 9100)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CF_MQTT_URL", "http://broker", "CF_MQTT_URL: Value error, must be mqtt://"),
        ("CF_HTTP_PORT", "eighty", "CF_HTTP_PORT:"),
        ("CF_DB_URL", "mysql://x", "CF_DB_URL:"),
        ("CF_BATCH_MAX", "0", "CF_BATCH_MAX:"),
        ("CF_LOG_LEVEL", "chatty", "CF_LOG_LEVEL:"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


def test_unknown_key_in_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "collector.toml"
    path.write_text("db_ulr = 'typo'\n")
    monkeypatch.setenv("CF_SETTINGS_FILE", str(path))
    with pytest.raises(ConfigError, match="CF_DB_ULR: unknown setting"):
        load_settings()


def test_cli_reports_bad_config_in_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "CF_HTTP_PORT": "99999", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "collector"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "collector: CF_HTTP_PORT: Input should be less than or equal to 65535"
    ]


def test_cli_help_lists_environment_variables() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "collector", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for name in (
        "CF_MQTT_URL",
        "CF_MQTT_CA",
        "CF_MQTT_CERT",
        "CF_MQTT_KEY",
        "CF_DB_URL",
        "CF_HTTP_HOST",
        "CF_HTTP_PORT",
    ):
        assert name in proc.stdout


def test_cli_creates_a_token_that_is_stored_hashed(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    env = {"PATH": "/usr/bin:/bin", "CF_DB_URL": str(db), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "collector", "token", "create", "--role", "ops"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = proc.stdout.strip()
    assert token.startswith("cf_")
    assert len(token) > 40
    assert token.encode() not in db.read_bytes()
