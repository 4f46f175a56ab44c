"""Username/password authentication against a broker with a password file, and the one-line
failures ``agent check`` gives for wrong credentials or a missing TLS file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent.broker_probe import probe
from agent.config import AgentConfig
from tests.agent.agent_rig import DEVICE, InProcessAgent, config_data, wait_until
from tests.fixtures.broker import BrokerFactory


@pytest.mark.slow
def test_username_password(tmp_path: Path, mosquitto_factory: BrokerFactory) -> None:
    passwords = tmp_path / "passwords"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwords), DEVICE, "s3cret-pw"], check=True
    )
    broker = mosquitto_factory(
        anonymous=False, mosquitto_extra_options={"password_file": str(passwords)}
    )
    good = AgentConfig(
        **config_data(tmp_path, broker.url, mqtt={"username": DEVICE, "password": "s3cret-pw"})
    )
    bad = AgentConfig(
        **config_data(tmp_path, broker.url, mqtt={"username": DEVICE, "password": "wrong"})
    )
    assert probe(good.mqtt, DEVICE) is None
    refused = probe(bad.mqtt, DEVICE)
    assert refused is not None
    assert refused.startswith("broker refused:")
    with InProcessAgent(good) as rig:
        wait_until(lambda: rig.agent.publisher.connected, 10, "password login failed")


def test_missing_tls_file_is_one_line(tmp_path: Path) -> None:
    config = AgentConfig(
        **config_data(
            tmp_path,
            "mqtts://127.0.0.1:8883",
            mqtt={"ca_file": str(tmp_path / "missing-ca.crt")},
        )
    )
    message = probe(config.mqtt, DEVICE)
    assert message is not None
    assert message.startswith("cannot set up the MQTT client:")
