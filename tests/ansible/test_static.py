"""Fast checks of ansible/ and firmware-config/: lint, syntax, documented variables, and the
templates rendered into configs that the agent's and the collector's own loaders accept."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from agent.config import load_config
from collector.config import load_settings
from protocols.identifiers import is_valid_id
from tests.ansible.deployment import ANSIBLE_DIR, BIN, EXAMPLE, ansible_env
from tests.ansible.nginx_site import check_site, self_signed
from tests.ansible.rendering import FIRMWARE_CONFIG, render, role_defaults
from tests.fixtures.broker import template_variable_names

ROLES = sorted(p.name for p in (ANSIBLE_DIR / "roles").iterdir() if p.is_dir())
PLAYBOOKS = ["site.yml", "enrol-device.yml", "refresh-day-keys.yml", "decommission-device.yml"]
OWN_TEMPLATES = sorted(
    p
    for p in FIRMWARE_CONFIG.rglob("*.j2")
    if p.relative_to(FIRMWARE_CONFIG).parts[0] != "mosquitto"
)
_KEY = re.compile(r"^([a-z_][a-z0-9_]*):")


@pytest.mark.slow
def test_ansible_lint_production_profile_is_clean() -> None:
    result = subprocess.run(
        [str(BIN / "ansible-lint"), "--offline", "--profile", "production", "--nocolor"],
        cwd=ANSIBLE_DIR, capture_output=True, text=True, env=ansible_env(), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_playbooks_pass_the_syntax_check() -> None:
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(EXAMPLE / "hosts.yml"),
         *PLAYBOOKS],
        cwd=ANSIBLE_DIR, capture_output=True, text=True, env=ansible_env(), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("role", ROLES)
def test_every_role_default_is_prefixed_and_documented(role: str) -> None:
    lines = (ANSIBLE_DIR / "roles" / role / "defaults/main.yml").read_text().splitlines()
    documented = False
    for line in lines:
        if not line.strip():
            documented = False
        elif line.startswith("#"):
            documented = True
        elif key := _KEY.match(line):
            assert key.group(1).startswith(f"{role}_"), f"{role}: {key.group(1)} lacks the prefix"
            assert documented, f"{role}: {key.group(1)} has no comment saying what it means"


def test_the_templates_the_roles_install_exist_and_the_readme_lists_them() -> None:
    tasks = "\n".join(p.read_text() for p in (ANSIBLE_DIR / "roles").rglob("tasks/*.yml"))
    used = set(re.findall(r"firmware_config_dir \}\}/([\w./{} -]+?\.j2)", tasks))
    used = {u.replace("{{ counter_agent_boot_fragment }}", "citizen-feedback-gps-uart.txt")
            for u in used}  # fmt: skip
    assert used, "no firmware-config template found in the roles"
    for template in used:
        assert (FIRMWARE_CONFIG / template).is_file(), template
    readme = (FIRMWARE_CONFIG / "README.md").read_text()
    for template in sorted(used | {str(p.relative_to(FIRMWARE_CONFIG)) for p in OWN_TEMPLATES}):
        assert f"`{template}`" in readme, f"firmware-config/README.md does not list {template}"


@pytest.mark.parametrize("template", OWN_TEMPLATES, ids=lambda p: p.name)
def test_our_templates_start_with_the_ansible_managed_comment(template: Path) -> None:
    assert template.read_text().startswith("{{ ansible_managed | comment }}\n")


def test_the_broker_role_passes_only_variables_the_mosquitto_templates_read() -> None:
    tasks = yaml.safe_load((ANSIBLE_DIR / "roles/broker/tasks/main.yml").read_text())
    template_tasks = [
        t for t in tasks
        if "/mosquitto/" in t.get("ansible.builtin.template", {}).get("src", "")
    ]  # fmt: skip
    assert len(template_tasks) == 2
    known = template_variable_names("mosquitto.conf.j2") | template_variable_names("acl.j2")
    for task in template_tasks:
        passed = set(task["vars"])
        assert passed <= known, f"not read by the templates: {sorted(passed - known)}"
        assert {"mosquitto_crlfile", "mosquitto_cafile", "mosquitto_acl_file",
                "mosquitto_collector_users"} <= passed  # fmt: skip


def test_the_agent_template_renders_a_config_the_agent_accepts(tmp_path: Path) -> None:
    variables = role_defaults(
        "counter_agent",
        inventory_hostname="cm-mueang-chiang-mai-dol-c02",
        ansible_playbook_python="python3",
    )
    variables.update(
        counter_agent_office_id="cm-mueang-chiang-mai-dol",
        counter_agent_office_lat=18.79028,
        counter_agent_office_lon=98.98444,
    )
    path = tmp_path / "agent.toml"
    path.write_text(render("agent/agent.toml.j2", variables))
    config = load_config(path)
    assert config.device.id == "cm-mueang-chiang-mai-dol-c02"
    assert config.device.office == "cm-mueang-chiang-mai-dol"
    assert config.mqtt.tls
    assert config.mqtt.key_file == Path("/etc/citizen-feedback/tls/device.key")
    assert config.card.day_keys_path == Path(variables["counter_agent_day_keys_path"])
    assert config.outbox.path.parent == Path(variables["counter_agent_state_dir"])
    assert (config.location.lat, config.location.lon) == (18.79028, 98.98444)
    unit = render("systemd/citizen-feedback-agent.service.j2", variables)
    assert f"ReadWritePaths={config.outbox.path.parent}" in unit.splitlines()


def test_the_collector_env_file_renders_settings_the_collector_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = role_defaults("collector")
    text = render("collector/collector.env.j2", variables)
    env = dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert set(env) >= {"CF_MQTT_URL", "CF_MQTT_CA", "CF_MQTT_CERT", "CF_MQTT_KEY", "CF_DB_URL"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.mqtt_tls
    assert settings.sqlite_path.parent == Path(variables["collector_state_dir"])


def test_the_collector_env_file_names_the_pepper_file_only_when_there_is_a_pepper() -> None:
    variables = role_defaults("collector")
    assert "CF_PEPPER_FILE" not in render("collector/collector.env.j2", variables)
    variables["collector_master_pepper"] = "ab" * 32
    text = render("collector/collector.env.j2", variables)
    assert f"CF_PEPPER_FILE={variables['collector_pepper_file']}" in text.splitlines()
    assert "ab" * 32 not in text  # the pepper itself stays out of the environment file


def test_the_example_inventory_is_one_office_with_three_counters() -> None:
    hosts = yaml.safe_load((EXAMPLE / "hosts.yml").read_text())
    office = hosts["all"]["children"]["counters"]["children"]["office_cm_mueang_chiang_mai_dol"]
    counters = sorted(office["hosts"])
    assert counters == [f"cm-mueang-chiang-mai-dol-c0{n}" for n in (1, 2, 3)]
    assert all(is_valid_id(device) for device in counters)
    office_vars = yaml.safe_load(
        (EXAMPLE / "group_vars/office_cm_mueang_chiang_mai_dol.yml").read_text()
    )
    assert office_vars["counter_agent_office_id"] == "cm-mueang-chiang-mai-dol"
    # Inside Chiang Mai province (catches swapped or mistyped coordinates).
    assert 17.2 < office_vars["counter_agent_office_lat"] < 20.2
    assert 97.3 < office_vars["counter_agent_office_lon"] < 99.6


def test_the_vault_example_holds_placeholders_only() -> None:
    text = (EXAMPLE / "vault.example.yml").read_text()
    values = yaml.safe_load(text)
    assert set(values) == {"vault_cf_ca_private_key", "vault_cf_master_pepper",
                           "vault_cf_collector_ops_token", "vault_cf_technician_token"}  # fmt: skip
    for name, value in values.items():
        assert "REPLACE-ME" in value, name


def test_the_collector_listens_on_loopback_behind_the_tls_proxy(tmp_path: Path) -> None:
    """The role's defaults bind the collector to 127.0.0.1, and the nginx site rendered from
    them passes ``nginx -t`` (in a throwaway prefix, with a throwaway certificate)."""
    variables = role_defaults("collector", inventory_hostname="collector.test")
    assert variables["collector_http_host"] == "127.0.0.1"
    cert, key = self_signed(tmp_path)
    variables.update(
        collector_proxy_certificate_path=str(cert),
        collector_proxy_key_path=str(key),
        collector_proxy_https_port=18443,
        collector_proxy_http_port=18080,
    )
    site = render("nginx/citizen-feedback-collector.conf.j2", variables)
    assert "proxy_pass http://citizen_feedback_collector;" in site
    assert f"server 127.0.0.1:{variables['collector_http_port']};" in site
    assert f"ssl_certificate {cert};" in site
    assert "return 301 https://$host:18443$request_uri;" in site
    check = check_site(site, tmp_path)
    assert check.returncode == 0, check.stderr
    assert "syntax is ok" in check.stderr
    env = render("collector/collector.env.j2", variables)
    assert "CF_HTTP_HOST=127.0.0.1" in env.splitlines()
