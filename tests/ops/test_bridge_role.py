"""The broker role's bridge variables map onto firmware-config/mosquitto as the live bridge test
(test_regional_bridge.py) renders it: off by default, one mTLS QoS 1 bridge when an address is set,
and the central ACL's bridge users."""

from __future__ import annotations

from typing import Any

import yaml

from tests.ansible.deployment import ANSIBLE_DIR
from tests.ansible.rendering import _environment, _resolve
from tests.fixtures.broker import render_template

HOST = {"inventory_hostname": "cm-regional-01", "inventory_hostname_short": "cm-regional-01"}


def role_defaults(role: str, **inventory: Any) -> dict[str, Any]:
    """The role's defaults and vars with inventory values on top (as Ansible's precedence does),
    references resolved like tests/ansible/rendering.role_defaults."""
    role_dir = ANSIBLE_DIR / "roles" / role
    values: dict[str, Any] = {"role_path": str(role_dir)}
    for part in ("defaults", "vars"):
        values.update(yaml.safe_load((role_dir / part / "main.yml").read_text()) or {})
    values.update(inventory)
    env = _environment()
    # the scalars first: broker_bridges builds a list of dicts out of them
    for _ in range(6):
        values = {k: v if k == "broker_bridges" else _resolve(env, v, values)
                  for k, v in values.items()}  # fmt: skip
    values["broker_bridges"] = _resolve(env, values["broker_bridges"], values)
    return values


def _broker_conf(variables: dict[str, Any]) -> str:
    return render_template("mosquitto.conf.j2", {"mosquitto_bridges": variables["broker_bridges"]})


def test_no_bridge_by_default() -> None:
    variables = role_defaults("broker", **HOST)
    assert variables["broker_bridges"] == []
    assert "connection " not in _broker_conf(variables)
    assert "Regional bridge" not in render_template(
        "acl.j2", {"mosquitto_bridge_users": variables["broker_bridge_users"]}
    )


def test_a_bridge_address_renders_one_mutual_tls_qos1_bridge() -> None:
    variables = role_defaults("broker", broker_bridge_address="central.cf.example:8883", **HOST)
    [bridge] = variables["broker_bridges"]
    assert bridge["name"] == "bridge-cm-regional-01"
    lines = _broker_conf(variables).splitlines()
    start = lines.index("connection bridge-cm-regional-01")
    section = lines[start:]
    for line in (
        "address central.cf.example:8883",
        "cleansession false",
        "local_cleansession false",
        "try_private true",
        "bridge_cafile /etc/mosquitto/ca/ca.crt",
        "bridge_certfile /etc/mosquitto/certs/bridge.crt",
        "bridge_keyfile /etc/mosquitto/certs/bridge.key",
        "bridge_insecure false",
        "restart_timeout 5 60",
        "topic cf/v1/devices/+/events out 1",
        "topic cf/v1/devices/+/state out 1",
        "topic cf/v1/devices/+/commands in 1",
        "topic cf/v1/devices/+/acks in 1",
    ):
        assert line in section, line
    # the bridge is the last section: every line after `connection` belongs to it
    assert not any(line.startswith("listener") for line in section)


def test_the_central_acl_lets_a_bridge_forward_device_channels_only() -> None:
    acl = render_template("acl.j2", {"mosquitto_bridge_users": ["bridge-cm-regional-01"]})
    block = acl[acl.index("user bridge-cm-regional-01") :].splitlines()
    assert "topic write cf/v1/devices/+/events" in block
    assert "topic read cf/v1/devices/+/commands" in block
    assert "topic read cf/v1/devices/+/acks" in block
    assert not any("write cf/v1/devices/+/commands" in line for line in block)
    assert not any("write cf/v1/devices/+/acks" in line for line in block)
