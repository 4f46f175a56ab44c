"""A web form's score counted in ``rating_rollups`` beside the counters' button ratings.

Its device is ``web:<counter label>`` (":" never occurs in a device id), so analytics tell the
channels apart and a web rating is never mixed silently with button ratings.
"""

from __future__ import annotations

from collector.feedback.model import WEB_DEVICE_PREFIX
from collector.feedback.tokens import CounterToken
from collector.rating_privacy import floor_hour
from collector.storage import Tx


async def roll_up_web(tx: Tx, token: CounterToken, scale: int, score: int, now_ms: int) -> None:
    await tx.execute(
        "INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, verified, n) "
        "VALUES (?, ?, ?, ?, ?, 0, 1) ON CONFLICT (office_id, device_id, hour_ms, scale, score, "
        "verified) DO UPDATE SET n = rating_rollups.n + excluded.n",
        token.office_id,
        WEB_DEVICE_PREFIX + token.counter_label,
        floor_hour(now_ms),
        scale,
        score,
    )
