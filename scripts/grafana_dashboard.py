"""Build firmware-config/grafana/citizen-feedback.json: fleet, ingest and satisfaction overview.

Built with grafana-foundation-sdk (Grafana's own generated dashboard types and builders), so the
JSON has the structure Grafana's schema defines instead of a hand-copied export. Every query
uses only metrics of collector/metrics.py and recording rules of
firmware-config/prometheus/citizen-feedback.rules.yml (tests/ops/test_grafana_dashboard.py checks
both, parses every query with promtool and regenerates the file to compare).

    .venv/bin/python scripts/grafana_dashboard.py            # rewrite the JSON
    .venv/bin/python scripts/grafana_dashboard.py --check    # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import (
    bargauge,
    common,
    dashboard,
    prometheus,
    stat,
    timeseries,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
)
from grafana_foundation_sdk.models.dashboard import DataSourceRef

OUTPUT = Path(__file__).resolve().parents[1] / "firmware-config/grafana/citizen-feedback.json"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")


def _last() -> common.ReduceDataOptions:
    return common.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def _query(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    return query.legend_format(legend) if legend else query


def _stat(title: str, expr: str, unit: str, description: str, width: int = 4) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(_query(expr).instant())
        .unit(unit)
        .reduce_options(_last())
        .graph_mode(BigValueGraphMode.AREA)
        .color_mode(BigValueColorMode.VALUE)
        .height(4)
        .span(width)
    )


def _series(title: str, unit: str, description: str, *queries: tuple[str, str]) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .legend(
            common.VizLegendOptions()
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(common.VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.NONE))
        .height(8)
        .span(12)
    )
    for i, (expr, legend) in enumerate(queries):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + i)))
    return panel


def build() -> dict[str, object]:
    board = (
        dashboard.Dashboard("Citizen Feedback — fleet, ingest, satisfaction")
        .uid("citizen-feedback-overview")
        .tags(["citizen-feedback"])
        .description(
            "Counters, the collector's ingest and national satisfaction. Metrics: "
            "collector/metrics.py; alerts: firmware-config/prometheus/citizen-feedback.rules.yml."
        )
        .time("now-24h", "now")
        .refresh("1m")
        .timezone("Asia/Bangkok")
        .with_variable(
            dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus")
        )
        .with_row(dashboard.Row("Fleet"))
        .with_panel(
            _stat(
                "Online",
                'max(cf_devices{state="online"})',
                "none",
                "Registered devices online (retained state and heartbeat within the timeout).",
            )
        )
        .with_panel(
            _stat(
                "Offline",
                'max(cf_devices{state="offline"})',
                "none",
                "Registered devices heard from before but offline now.",
            )
        )
        .with_panel(
            _stat(
                "Never seen",
                'max(cf_devices{state="never_seen"})',
                "none",
                "Registered devices that never published (not installed yet?).",
            )
        )
        .with_panel(
            _stat(
                "Offline share",
                "cf:fleet_offline_share",
                "percentunit",
                "Offline among the devices heard from (recording rule); alerts at 5 % and 20 %.",
            )
        )
        .with_panel(
            _stat(
                "Quarantined",
                "max(cf_quarantined_devices)",
                "none",
                "Unregistered devices that publish.",
            )
        )
        .with_panel(
            _stat(
                "Collectors ready",
                "sum(cf_ready)",
                "none",
                "Collector processes whose database and broker are ready.",
            )
        )
        .with_panel(
            _series(
                "Devices by state",
                "none",
                "Registered devices online, offline, never seen.",
                ("max by (state) (cf_devices)", "{{state}}"),
            )
        )
        .with_panel(
            _series(
                "Fleet alerts by kind",
                "none",
                "Current alerts (GET /api/v1/alerts).",
                ("max by (kind) (cf_alerts) > 0", "{{kind}}"),
            )
        )
        .with_panel(
            _series(
                "Device outboxes",
                "none",
                "Events waiting in device outboxes (sum of the last heartbeats).",
                ("max(cf_fleet_outbox_depth)", "events in outboxes"),
            )
        )
        .with_panel(
            _series(
                "Ingest lag seen by devices",
                "s",
                "Age of the oldest unacknowledged outbox event of any device.",
                ("max(cf_fleet_outbox_oldest_seconds)", "oldest outbox event"),
                ("time() - max(cf_fleet_last_heard_timestamp_seconds)", "since last heard"),
            )
        )
        .with_row(dashboard.Row("Ingest"))
        .with_panel(
            _series(
                "Messages received and events stored",
                "ops",
                "Per second, all collector workers.",
                ("cf:messages_received:rate5m", "received {{channel}}"),
                ("cf:events_stored:rate5m", "events stored"),
                ("sum(rate(cf_events_duplicate_total[5m]))", "duplicates"),
            )
        )
        .with_panel(
            _series(
                "Commits",
                "ops",
                "Ingest transactions and their retries per second.",
                ("sum(rate(cf_commits_total[5m]))", "commits"),
                ("sum(rate(cf_commit_retries_total[5m]))", "retries"),
                ("sum(rate(cf_acks_published_total[5m]))", "acks published"),
            )
        )
        .with_panel(
            _series(
                "Dead letters by code",
                "ops",
                "Messages refused, per second.",
                ("sum by (code) (rate(cf_dead_lettered_total[10m]))", "{{code}}"),
                ("sum(rate(cf_dead_letters_suppressed_total[10m]))", "over quota"),
            )
        )
        .with_panel(
            _series(
                "Sequence gaps and losses",
                "none",
                "Missing seqs in open gaps; gaps opened and seqs declared lost per hour.",
                ("max(cf_seq_gaps_open)", "missing now"),
                ("sum(increase(cf_seq_gaps_opened_total[1h]))", "gaps opened / h"),
                ("sum(increase(cf_seq_lost_total[1h]))", "declared lost / h"),
            )
        )
        .with_panel(
            _series(
                "Clock skew and inbox drops",
                "ops",
                "Device times clamped (clock ahead), QoS 0 messages dropped (inbox full).",
                ("sum by (channel) (rate(cf_ts_clamped_total[15m]))", "clamped {{channel}}"),
                ("sum by (channel) (rate(cf_inbox_dropped_total[5m]))", "dropped {{channel}}"),
            )
        )
        .with_row(dashboard.Row("Satisfaction (last 24 h, all offices)"))
        .with_panel(
            _stat(
                "Ratings",
                "sum(max by (scale, score, verified) (cf_ratings_24h))",
                "none",
                "Ratings of the last 24 h, every office.",
                8,
            )
        )
        .with_panel(
            _stat(
                "Mean (1–5)",
                "max(cf_rating_mean_24h)",
                "none",
                "Mean score, every scale mapped onto 1..5 as the ratings API does.",
                8,
            )
        )
        .with_panel(
            _stat(
                "Verified share",
                'sum(max by (scale, score) (cf_ratings_24h{verified="true"}))'
                " / sum(max by (scale, score, verified) (cf_ratings_24h))",
                "percentunit",
                "Share of ratings given in a card-verified session.",
                8,
            )
        )
        .with_panel(
            bargauge.Panel()
            .title("Ratings by score")
            .description("Last 24 h, by scale and score.")
            .datasource(DATASOURCE)
            .with_target(
                _query("max by (scale, score) (cf_ratings_24h)", "{{score}}/{{scale}}").instant()
            )
            .reduce_options(_last())
            .height(8)
            .span(24)
        )
    )
    built: dict[str, object] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    panels = built["panels"]
    assert isinstance(panels, list)
    for number, panel in enumerate(panels, 1):  # Grafana wants a unique id per panel
        panel["id"] = number
        if panel["type"] == "row":  # rows carry no options (as Grafana exports them)
            panel.pop("options", None)
    return built


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"grafana_dashboard: {OUTPUT} is stale; run scripts/grafana_dashboard.py")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
