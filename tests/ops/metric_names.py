"""The metric names the collector exports and the recording rules define, and the cf names a
PromQL expression uses: so that rules and dashboards cannot refer to a metric nobody exports."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from collector.metrics import Metrics

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "firmware-config/prometheus/citizen-feedback.rules.yml"
RULE_TESTS = REPO / "firmware-config/prometheus/citizen-feedback.rules.test.yml"
DASHBOARD = REPO / "firmware-config/grafana/citizen-feedback.json"
_NAME = re.compile(r"(?<![\w:\"'])(cf[_:][a-zA-Z0-9_:]*)")


def exported_names() -> set[str]:
    """Sample names of collector/metrics.py (counters as ``<name>_total``)."""
    names: set[str] = set()
    for family in Metrics().registry.collect():
        names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return names


def recording_rules() -> set[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def names_in(expr: str) -> set[str]:
    """The cf_* / cf:* metric names an expression selects (label values excluded)."""
    without_labels = re.sub(r"\{[^}]*\}", "", expr)
    return set(_NAME.findall(without_labels))
