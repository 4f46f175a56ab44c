"""The collector role's optional monitoring parts: off by default, the files it copies exist, and
the Grafana provider it renders points at the dashboard directory."""

from __future__ import annotations

import re

import yaml

from tests.ansible.deployment import ANSIBLE_DIR
from tests.ansible.rendering import FIRMWARE_CONFIG, render, role_defaults


def test_monitoring_is_off_by_default() -> None:
    variables = role_defaults("collector", inventory_hostname="cf-central-01")
    assert variables["collector_prometheus_rules_path"] == ""
    assert variables["collector_grafana_dashboards_dir"] == ""


def test_the_files_the_role_copies_exist() -> None:
    tasks = (ANSIBLE_DIR / "roles/collector/tasks/monitoring.yml").read_text()
    sources = re.findall(r"firmware_config_dir \}\}/([\w./-]+)", tasks)
    assert {"prometheus/citizen-feedback.rules.yml", "grafana/citizen-feedback.json",
            "grafana/provider.yml.j2"} == set(sources)  # fmt: skip
    for source in sources:
        assert (FIRMWARE_CONFIG / source).is_file(), source
    assert "promtool check rules %s" in tasks


def test_the_grafana_provider_points_at_the_dashboard_directory() -> None:
    text = render("grafana/provider.yml.j2", {"collector_grafana_dashboards_dir": "/var/lib/gd"})
    [provider] = yaml.safe_load(text)["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/gd"
