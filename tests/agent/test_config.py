"""Config: the example file is valid, env overrides nest with __, bad files give one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import load_config
from agent.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "firmware-config" / "agent.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


def test_example_config_is_valid() -> None:
    config = load_config(EXAMPLE)
    assert config.device.id == "cm-mueang-dol-c03"
    assert config.panel.scale == 5
    assert config.mqtt.tls
    assert config.mqtt.port == 8883
    assert config.card.backend == "pcsc"


def test_minimal_config_takes_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[device]\nid = "dev-001"\n'))
    assert config.session.rating_window_s == 60
    assert config.mqtt.url == "mqtt://127.0.0.1:1883"


def test_env_overrides_nested_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[device]\nid = "dev-001"\n[session]\ntimeout_s = 99\n')
    monkeypatch.setenv("CF_MQTT__URL", "mqtt://10.0.0.9:1884")
    monkeypatch.setenv("CF_SESSION__RATING_WINDOW_S", "30")
    config = load_config(path)
    assert config.mqtt.port == 1884
    assert config.session.rating_window_s == 30
    assert config.session.timeout_s == 99  # the rest of the section still comes from the file


def test_env_lists_case_and_foreign_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[device]\nid = "dev-001"\n')
    monkeypatch.setenv("CF_PANEL__BUTTONS", "[5, 6, 13]")  # JSON for a list
    monkeypatch.setenv("CF_PANEL__LEDS", "[17, 27, 22]")
    monkeypatch.setenv("cf_heartbeat__interval_s", "120")  # names are case-insensitive
    monkeypatch.setenv("CF_HTTP_PORT", "8080")  # the collector's: no section of the agent
    monkeypatch.setenv("CF_NOSECTION__X", "1")
    config = load_config(path)
    assert config.panel.buttons == [5, 6, 13]
    assert config.heartbeat.interval_s == 120


def test_env_unknown_field_is_refused_like_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[device]\nid = "dev-001"\n')
    monkeypatch.setenv("CF_MQTT__URLL", "mqtt://10.0.0.9:1884")
    with pytest.raises(ConfigError, match=r"mqtt\.urll"):
        load_config(path)
    monkeypatch.delenv("CF_MQTT__URLL")
    monkeypatch.setenv("CF_SESSION__RATING_WINDOW_S", "soon")
    with pytest.raises(ConfigError, match=r"session\.rating_window_s"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[device]\nid = "Bad Id"\n', "field device.id: String should match pattern"),
        ("[mqtt]\n", "field device: required field is missing"),
        ('[device]\nid = "dev-001"\n[panel]\nbuttons = [1, 2]\nleds = [3, 4]\n', "3, 4 or 5"),
        ('[device]\nid = "dev-001"\n[mqtt]\nurl = "http://x"\n', "field mqtt: url must look"),
        ('[device]\nid = "dev-001"\n[session]\nrating_window_s = "long"\n', "valid number"),
        ('[device]\nid = "dev-001"\n[outbox]\nmax_event = 5\n', "outbox.max_event: unknown"),
        ('[device]\nid = "dev-001"\n[card]\nbackend = "usb"\n', "field card.backend: Input"),
        ('[device\nid = "dev-001"\n', "not valid TOML"),
    ],
)
def test_bad_file_names_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"config {path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_cli_stops_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[device]\nid = "dev-001"\n[heartbeat]\ninterval_s = 0\n')
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"agent: config {path}: field heartbeat.interval_s:")
    assert "greater than or equal to 1" in lines[0]


def test_env_strings_become_the_fields_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What pydantic's lax mode did for ``CF_`` strings, agent/config_model.py does."""
    path = write(tmp_path, '[device]\nid = "dev-001"\n[mqtt]\npassword = "s3cret-pw"\n')
    monkeypatch.setenv("CF_LOCATION__GPSD", "false")
    monkeypatch.setenv("CF_LOCATION__MIN_MODE", "3")
    monkeypatch.setenv("CF_MQTT__WINDOW", "500")
    monkeypatch.setenv("CF_OUTBOX__PATH", str(tmp_path / "o.sqlite3"))
    config = load_config(path)
    assert config.location.gpsd is False
    assert config.location.min_mode == 3
    assert config.mqtt.window == 500
    assert config.outbox.path == tmp_path / "o.sqlite3"
    assert config.mqtt.password is not None
    assert config.mqtt.password.get_secret_value() == "s3cret-pw"
    assert "s3cret-pw" not in repr(config)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[panel]\nbuttons = [5, 6, 99]\n", "field panel.buttons.2: Input should be less than"),
        ("[panel]\nenabled = 2\n", "field panel.enabled: Input should be a valid boolean"),
        ("[mqtt]\nwindow = 1.5\n", "field mqtt.window: Input should be a valid integer"),
        ("[location]\nmin_mode = 4\n", "field location.min_mode: Input should be 2 or 3"),
        (
            '[officer_view]\nservices = [{id = "X", name_th = "a", name_en = "b"}]\n',
            "field officer_view.services.0.id: String should match pattern",
        ),
        ("[cards]\n", "field cards: unknown field"),
    ],
)
def test_bad_values_name_their_place(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, '[device]\nid = "dev-001"\n' + text))
    assert expected in str(info.value)
