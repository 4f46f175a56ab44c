"""Migration 10 (issue 14, ingest throughput): what a commit of the ingest path needs indexed.

``analytics/rollups.py`` finds the events a batch has just stamped by ``rollup_mark``; without
an index that was a scan of the whole ``events`` table in every ingest transaction, a cost that
grows with the table (measured: tests/bench/bench_ingest.py, collector/README.md).
"""

from __future__ import annotations

INGEST_MIGRATION: list[str | dict[str, str]] = [
    "CREATE INDEX events_rollup_mark ON events (rollup_mark)",
]
