"""The alerting rules: valid for promtool, unit-tested with promtool, and about real metrics."""

from __future__ import annotations

from pathlib import Path

from tests.ops.metric_names import (
    RULE_TESTS,
    RULES,
    exported_names,
    names_in,
    recording_rules,
    rule_expressions,
)
from tests.ops.promtool import promtool


def test_promtool_check_rules_accepts_the_rules() -> None:
    result = promtool("check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    result = promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_fail_when_a_rule_is_broken(tmp_path: Path) -> None:
    # The unit tests are not vacuous: a rule with a wrong threshold makes them fail.
    share = "cf:fleet_offline_share > "
    broken = RULES.read_text().replace(share + "0.05", share + "0.5")
    assert broken != RULES.read_text()
    (tmp_path / RULES.name).write_text(broken)
    (tmp_path / RULE_TESTS.name).write_text(RULE_TESTS.read_text())
    result = promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert result.returncode != 0
    assert "CFFleetOfflineShareHigh" in result.stdout + result.stderr


def test_every_rule_uses_only_exported_metrics_or_recording_rules() -> None:
    known = exported_names() | recording_rules()
    used: set[str] = set()
    for expr in rule_expressions():
        used |= names_in(expr)
    assert used, "no cf metric found in the rules"
    assert used <= known, f"not exported by collector/metrics.py: {sorted(used - known)}"
    # the families the issue asks alerts for (offline share, backlog, gaps and losses, dead
    # letters, ingest lag and stall, clock skew) are all covered
    for name in ("cf_devices", "cf_fleet_outbox_depth", "cf_seq_gaps_open", "cf_seq_lost_total",
                 "cf_dead_lettered_total", "cf_fleet_outbox_oldest_seconds", "cf_ts_clamped_total",
                 "cf_fleet_last_heard_timestamp_seconds"):  # fmt: skip
        assert name in used, name
