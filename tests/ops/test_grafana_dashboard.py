"""The Grafana dashboard, checked without a Grafana server (none installable here): the file is
what scripts/grafana_dashboard.py builds with Grafana's own types, it reads back into those
types, its layout and data source references hold, every query parses (promtool) and names only
metrics the collector exports or the recording rules define."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.models.dashboard import Dashboard

from scripts import grafana_dashboard
from tests.ops.metric_names import DASHBOARD, exported_names, names_in, recording_rules
from tests.ops.promtool import promtool


def _board() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def _queries(board: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]


def test_the_committed_json_is_what_the_builder_makes() -> None:
    assert grafana_dashboard.main(["--check"]) == 0, "run scripts/grafana_dashboard.py"


def test_the_json_reads_back_into_grafanas_dashboard_types() -> None:
    board = _board()
    model = Dashboard.from_json(board)
    assert model.title == board["title"]
    assert model.uid == "citizen-feedback-overview"
    assert model.panels is not None
    assert len(model.panels) == len(board["panels"])
    assert model.schema_version == board["schemaVersion"]


def test_layout_ids_and_data_sources() -> None:
    board = _board()
    panels = board["panels"]
    ids = [p["id"] for p in panels]
    assert len(set(ids)) == len(ids)
    occupied: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] >= 0, panel["title"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        cells = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"])
                 for y in range(pos["y"], pos["y"] + pos["h"])}  # fmt: skip
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    titles = {p["title"] for p in panels if p["type"] == "row"}
    assert {"Fleet", "Ingest"} <= titles
    assert any(t.startswith("Satisfaction") for t in titles)


def test_every_query_parses_with_promtool(tmp_path: Path) -> None:
    queries = _queries(_board())
    assert len(queries) >= 20
    rules = {"groups": [{"name": "dashboard-queries", "rules": [
        {"record": f"cf_dashboard_query_{i}", "expr": expr} for i, (_, expr) in enumerate(queries)
    ]}]}  # fmt: skip
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(json.dumps(rules))  # JSON is YAML
    result = promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_every_query_names_only_exported_metrics_or_recording_rules() -> None:
    known = exported_names() | recording_rules()
    for title, expr in _queries(_board()):
        used = names_in(expr)
        assert used, f"{title}: {expr} uses no collector metric"
        assert used <= known, f"{title}: unknown {sorted(used - known)}"
