"""The bounds ingest applies to what devices send: clock skew, seq jumps, gaps, dead letters.

One small picklable record built from :class:`~collector.config.Settings`, handed to the decoder
(possibly in a worker process) and to the storage's batch writer.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.config import Settings

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """``ts_*``: how far a device's ``ts`` may be ahead of / behind the receive time;
    ``seq_*``: how far a seq may jump past the high-water mark, and how many open gaps a device
    may have; ``dead_letter_*``: bytes of payload kept, rows per device per hour."""

    ts_future_skew_ms: int = 5 * 60 * 1000
    ts_max_age_ms: int = 30 * DAY_MS
    seq_max_jump: int = 100_000
    seq_max_open_gaps: int = 100
    dead_letter_payload_max: int = 1024
    dead_letter_quota: int = 1000
    dead_letter_quota_window_ms: int = HOUR_MS

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestLimits:
        return cls(
            ts_future_skew_ms=int(settings.ts_future_skew_s * 1000),
            ts_max_age_ms=int(settings.ts_max_age_days * DAY_MS),
            seq_max_jump=settings.seq_max_jump,
            seq_max_open_gaps=settings.seq_max_open_gaps,
            dead_letter_payload_max=settings.dead_letter_payload_max,
            dead_letter_quota=settings.dead_letter_quota,
        )
