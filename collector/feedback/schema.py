"""Migration 7: citizens' comments and complaints, QR key ids (collector/feedback)."""

from __future__ import annotations

FEEDBACK_MIGRATION: list[str | dict[str, str]] = [
    """CREATE TABLE feedback_comments (
        comment_id TEXT PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        form_nonce TEXT UNIQUE,
        channel TEXT NOT NULL DEFAULT 'web',
        office_id TEXT NOT NULL REFERENCES offices (office_id),
        counter_label TEXT NOT NULL,
        key_id TEXT NOT NULL,
        scale INTEGER,
        score INTEGER,
        body TEXT NOT NULL DEFAULT '',
        pii_removed INTEGER NOT NULL DEFAULT 0,
        is_complaint INTEGER NOT NULL DEFAULT 0,
        category TEXT,
        contact_offered INTEGER NOT NULL DEFAULT 0,
        lang TEXT NOT NULL DEFAULT 'th',
        client_hash TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        spam INTEGER NOT NULL DEFAULT 0,
        spam_reason TEXT,
        hidden INTEGER NOT NULL DEFAULT 0,
        hidden_by TEXT,
        hidden_ms BIGINT,
        reply_text TEXT,
        reply_by TEXT,
        reply_ms BIGINT,
        case_id TEXT
    )""",
    "CREATE INDEX feedback_office_time ON feedback_comments (office_id, created_ms)",
    """CREATE INDEX feedback_dedupe
        ON feedback_comments (office_id, counter_label, client_hash, content_hash, created_ms)""",
    """CREATE TABLE qr_keys (
        key_id TEXT PRIMARY KEY,
        created_ms BIGINT NOT NULL,
        accept_until_ms BIGINT
    )""",
    """CREATE TABLE feedback_secret (
        id INTEGER PRIMARY KEY,
        secret TEXT NOT NULL,
        created_ms BIGINT NOT NULL
    )""",
]
