"""Migration 8: complaint cases and the 1111 connector (collector/cases), out of schema.py's way.

``cases`` holds one row per complaint (keyed by the feedback comment it came from), its current
state and the centre's reference; ``case_steps`` every timestamped step; ``case_contacts`` the
citizen's contact, AES-GCM encrypted, apart from everything else so that it can be purged alone;
``case_outbox`` the durable forwarding queue (one row per case, idempotency key = case id) with
its attempts, next try, lease and dead-letter state; ``case_callbacks`` the signatures of status
callbacks already applied (replays are refused).
"""

from __future__ import annotations

CASES_MIGRATION: list[str | dict[str, str]] = [
    """CREATE TABLE cases (
        case_id TEXT PRIMARY KEY,
        comment_id TEXT NOT NULL UNIQUE,
        office_id TEXT NOT NULL,
        counter_label TEXT NOT NULL,
        category TEXT NOT NULL,
        body TEXT NOT NULL,
        window_start_ms BIGINT NOT NULL,
        window_end_ms BIGINT NOT NULL,
        state TEXT NOT NULL,
        centre_ref TEXT,
        outcome TEXT,
        has_contact INTEGER NOT NULL DEFAULT 0,
        created_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL,
        closed_ms BIGINT,
        contact_purged_ms BIGINT
    )""",
    "CREATE INDEX cases_office ON cases (office_id, created_ms)",
    "CREATE INDEX cases_state ON cases (state, closed_ms)",
    """CREATE TABLE case_steps (
        id {serial},
        case_id TEXT NOT NULL REFERENCES cases (case_id),
        state TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        centre_ref TEXT,
        outcome TEXT,
        note TEXT
    )""",
    "CREATE INDEX case_steps_case ON case_steps (case_id, at_ms)",
    """CREATE TABLE case_contacts (
        case_id TEXT PRIMARY KEY REFERENCES cases (case_id),
        key_id TEXT NOT NULL,
        sealed {blob} NOT NULL,
        created_ms BIGINT NOT NULL
    )""",
    """CREATE TABLE case_outbox (
        case_id TEXT PRIMARY KEY REFERENCES cases (case_id),
        idempotency_key TEXT NOT NULL UNIQUE,
        transport TEXT,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_ms BIGINT NOT NULL,
        lease_until_ms BIGINT NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        created_ms BIGINT NOT NULL,
        delivered_ms BIGINT,
        dead_ms BIGINT
    )""",
    "CREATE INDEX case_outbox_due ON case_outbox (status, next_try_ms)",
    """CREATE TABLE case_callbacks (
        signature TEXT PRIMARY KEY,
        case_id TEXT NOT NULL,
        received_ms BIGINT NOT NULL
    )""",
    "CREATE INDEX case_callbacks_received ON case_callbacks (received_ms)",
]
