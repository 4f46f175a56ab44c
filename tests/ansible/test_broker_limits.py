"""The broker role at scale: the open-file limit of mosquitto.service (a systemd drop-in) and the
listener's connection limit, rendered from the role's defaults, and the limit obeyed by a real
Mosquitto started from the production template."""

from __future__ import annotations

import configparser
import getpass
import subprocess
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from tests.ansible.deployment import ANSIBLE_DIR
from tests.ansible.rendering import render, role_defaults
from tests.fixtures.broker import render_template
from tests.fixtures.ports import free_port

TASKS = ANSIBLE_DIR / "roles/broker/tasks/main.yml"


def _listener_section(conf: str) -> list[str]:
    lines = conf.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("listener "))
    return lines[start:]


def test_the_drop_in_raises_the_open_file_limit_to_the_role_default() -> None:
    variables = role_defaults("broker", inventory_hostname="broker.test")
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read_string(render("systemd/mosquitto-limits.conf.j2", variables))
    assert unit.sections() == ["Service"]
    assert unit["Service"]["LimitNOFILE"] == str(variables["broker_limit_nofile"])
    assert variables["broker_limit_nofile"] <= int(Path("/proc/sys/fs/nr_open").read_text())
    reserve = variables["broker_nofile_reserve"]
    assert 0 < variables["broker_max_connections"] <= variables["broker_limit_nofile"] - reserve


def test_the_role_passes_the_connection_limit_into_the_listener_section() -> None:
    tasks = yaml.safe_load(TASKS.read_text())
    conf_task = next(
        t for t in tasks
        if t.get("ansible.builtin.template", {}).get("src", "").endswith("mosquitto.conf.j2")
    )  # fmt: skip
    assert conf_task["vars"]["mosquitto_max_connections"] == "{{ broker_max_connections }}"
    dropin_task = next(
        t for t in tasks
        if t.get("ansible.builtin.template", {}).get("src", "").endswith("mosquitto-limits.conf.j2")
    )  # fmt: skip
    assert dropin_task["ansible.builtin.template"]["dest"] == "{{ broker_limits_dropin }}"
    assert "Reload systemd units" in dropin_task["notify"]
    conf = render_template("mosquitto.conf.j2", {"mosquitto_max_connections": 200000})
    assert "max_connections 200000" in _listener_section(conf)
    assert "max_connections -1" in _listener_section(render_template("mosquitto.conf.j2", {}))


def test_the_drop_in_is_a_valid_systemd_drop_in(tmp_path: Path) -> None:
    """``systemd-analyze verify`` on a stand-in mosquitto.service with the rendered drop-in."""
    root = tmp_path / "units"
    dropin_dir = root / "mosquitto.service.d"
    dropin_dir.mkdir(parents=True)
    variables = role_defaults("broker", inventory_hostname="broker.test")
    (dropin_dir / "citizen-feedback-limits.conf").write_text(
        render("systemd/mosquitto-limits.conf.j2", variables)
    )
    (root / "mosquitto.service").write_text(
        "[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n"
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(root / "mosquitto.service")],
        capture_output=True, text=True, check=False,
        env={"SYSTEMD_UNIT_PATH": f"{root}:", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "citizen-feedback-limits.conf" not in result.stderr  # no complaint about it


def _start_broker(workdir: Path, max_connections: int) -> tuple[subprocess.Popen[bytes], int]:
    """Mosquitto from the production template, waited for through its log (no TCP probe: in
    Mosquitto 2.0.11 a connection closed before CONNECT lowers the listener's count, so a probe
    would raise the limit by one; eclipse-mosquitto/mosquitto#1460)."""
    workdir.mkdir(parents=True)
    port = free_port()
    log = workdir / "mosquitto.log"
    conf = render_template(
        "mosquitto.conf.j2",
        {
            "mosquitto_user": getpass.getuser(),
            "mosquitto_persistence": False,
            "mosquitto_log_dest": [f"file {log}"],
            "mosquitto_listener_port": port,
            "mosquitto_listener_address": "127.0.0.1",
            "mosquitto_allow_anonymous": True,
            "mosquitto_acl_file": "",
            "mosquitto_tls": False,
            "mosquitto_max_connections": max_connections,
        },
    )
    (workdir / "mosquitto.conf").write_text(conf)
    process = subprocess.Popen(["mosquitto", "-c", str(workdir / "mosquitto.conf")])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if log.exists() and " running" in log.read_text():
            return process, port
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"mosquitto did not start: {log.read_text() if log.exists() else ''}")


def _connect(port: int, client_id: str) -> tuple[mqtt.Client, list[str]]:
    """A client and what happened to it: "connected", or "dropped" before any CONNACK."""
    outcome: list[str] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    client.on_connect = lambda _c, _u, _f, rc, _p: outcome.append(
        "connected" if not rc.is_failure else f"refused {rc}"
    )
    client.on_disconnect = lambda _c, _u, _f, _rc, _p: outcome.append("dropped")
    client.connect("127.0.0.1", port)
    client.loop_start()
    deadline = time.monotonic() + 5
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.05)
    return client, outcome


def test_a_real_broker_drops_the_client_past_max_connections(tmp_path: Path) -> None:
    process, port = _start_broker(tmp_path / "broker", max_connections=2)
    clients: list[mqtt.Client] = []
    try:
        outcomes = []
        for n in range(3):
            client, outcome = _connect(port, f"limit-{n}")
            clients.append(client)
            outcomes.append(outcome[:1])
        assert outcomes == [["connected"], ["connected"], ["dropped"]]
        clients[2].loop_stop()
        clients[0].disconnect()  # a slot freed is a slot taken
        clients[0].loop_stop()
        time.sleep(0.3)
        client, outcome = _connect(port, "limit-3")
        clients.append(client)
        assert outcome[:1] == ["connected"]
    finally:
        for client in clients:
            client.loop_stop()
            client.disconnect()
        process.terminate()
        process.wait(10)
