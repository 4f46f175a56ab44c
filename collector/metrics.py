"""Prometheus metrics of the collector: the main process's, plus the ingest workers' counters
(``CF_INGEST_WORKERS`` > 1) added in by ``ingest/worker_counters.py``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class Metrics:
    """The counters ingest updates and the gauges /metrics refreshes before each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter(
            "cf_messages_received", "MQTT messages received", ["channel"], registry=r
        )
        self.stored = Counter("cf_events_stored", "events stored (new ids)", registry=r)
        self.duplicates = Counter(
            "cf_events_duplicate", "events dropped as duplicates by id", registry=r
        )
        self.dead_lettered = Counter(
            "cf_dead_lettered", "messages dead-lettered", ["code"], registry=r
        )
        self.seq_gaps_opened = Counter(
            "cf_seq_gaps_opened", "seq gaps opened (missing events)", registry=r
        )
        self.seq_lost = Counter("cf_seq_lost", "seqs declared lost by outbox.dropped", registry=r)
        self.commits = Counter("cf_commits", "ingest transactions committed", registry=r)
        self.commit_retries = Counter(
            "cf_commit_retries", "ingest transactions retried after a transient error", registry=r
        )
        self.acks_published = Counter("cf_acks_published", "retained acks published", registry=r)
        self.acks_skipped = Counter(
            "cf_mqtt_acks_skipped",
            "PUBACKs skipped (message of an earlier connection)",
            registry=r,
        )
        self.ts_clamped = Counter(
            "cf_ts_clamped", "device times too far ahead, clamped to receive time", ["channel"],
            registry=r,
        )  # fmt: skip
        self.retained_ignored = Counter(
            "cf_retained_replays_ignored", "retained state/heartbeat replays skipped", ["channel"],
            registry=r,
        )  # fmt: skip
        self.inbox_dropped = Counter(
            "cf_inbox_dropped", "QoS 0 messages dropped: the ingest inbox was full", ["channel"],
            registry=r,
        )  # fmt: skip
        self.dead_letters_suppressed = Counter(
            "cf_dead_letters_suppressed", "dead letters over a device's hourly quota (not stored)",
            registry=r,
        )  # fmt: skip
        self.dead_letters_pruned = Counter(
            "cf_dead_letters_pruned", "dead letters deleted after the retention", registry=r
        )
        self.seq_gaps_open = Gauge(
            "cf_seq_gaps_open", "missing seqs in open gaps, all devices", registry=r
        )
        self.alerts = Gauge("cf_alerts", "current fleet alerts", ["kind"], registry=r)
        self.quarantined_devices = Gauge(
            "cf_quarantined_devices", "unregistered devices that publish", registry=r
        )
        self.devices = Gauge(
            "cf_devices", "registered devices by state (online, offline, never_seen)", ["state"],
            registry=r,
        )  # fmt: skip
        self.fleet_outbox_depth = Gauge(
            "cf_fleet_outbox_depth", "events in device outboxes, last heartbeats summed", registry=r
        )
        self.fleet_outbox_oldest = Gauge(
            "cf_fleet_outbox_oldest_seconds",
            "age of the oldest unacknowledged outbox event of any device (last heartbeats)",
            registry=r,
        )
        self.fleet_last_heard = Gauge(
            "cf_fleet_last_heard_timestamp_seconds",
            "when any device was last heard from (unix seconds; 0 = never)",
            registry=r,
        )
        self.ratings_24h = Gauge(
            "cf_ratings_24h", "ratings of the last 24 h, all offices",
            ["scale", "score", "verified"], registry=r,
        )  # fmt: skip
        self.rating_mean_24h = Gauge(
            "cf_rating_mean_24h", "mean rating of the last 24 h mapped onto 1..5 (NaN: none)",
            registry=r,
        )  # fmt: skip
        self.ready = Gauge("cf_ready", "1 when the database and broker are ready", registry=r)

    def counters(self) -> list[Counter]:
        """Every counter (the ingest workers report these to the main process)."""
        return [v for v in vars(self).values() if isinstance(v, Counter)]
