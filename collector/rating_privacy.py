"""What the public may learn from rating summaries: closed whole hours, no count below k.

A summary over a minute-wide window, or over the hour still running, lets someone who saw a
citizen at the counter read that citizen's score (ask before and after, subtract). Public
summaries therefore (1) round the window to whole hours, ending at the latest at the start of
the current hour, so a new rating shows only once its hour has closed among the hour's others;
(2) hide every count below k (``CF_K_ANONYMITY``), and a second one when a single hidden count
could be worked out from the total; (3) hide everything when the window holds fewer than k
ratings. Differences between overlapping public windows can still narrow a count down to an
hour's worth of ratings: that residual risk is stated in collector/README.md.
"""

from __future__ import annotations

from typing import Any

HOUR_MS = 3_600_000


def floor_hour(ms: int) -> int:
    return ms - ms % HOUR_MS  # every Thai and UTC hour starts on an epoch hour (offsets whole)


def public_window(start_ms: int | None, end_ms: int | None, now_ms: int) -> tuple[int | None, int]:
    """``[start, end)`` rounded down to whole hours, ending no later than the current hour."""
    closed = floor_hour(now_ms)
    end = closed if end_ms is None else min(floor_hour(end_ms), closed)
    start = None if start_ms is None else floor_hour(start_ms)
    if start is not None and start > end:
        start = end
    return start, end


def _hide_small(counts: dict[str, int | None], k: int) -> None:
    """Replace counts below ``k`` (zeros too: "nobody gave 1" is information) by None, and one
    more when a lone hidden count would follow from the total."""
    small = [key for key, n in counts.items() if n is not None and n < k]
    for key in small:
        counts[key] = None
    if len(small) == 1:
        shown = [(n, key) for key, n in counts.items() if n is not None]
        if shown:
            counts[min(shown)[1]] = None


def suppress(summary: dict[str, Any], k: int) -> dict[str, Any]:
    """The public form of an exact summary (``counts`` keyed "1".."5", ``by_scale``)."""
    out = dict(summary)
    total = int(summary["total"])
    if total < k:
        out.update(
            total=None,
            counts={},
            mean=None,
            mean_normalised=None,
            verified_share=None,
            by_scale={},
            suppressed=True,
        )
        return out
    scales = summary["scales"] or [5]
    top = max(scales)
    counts: dict[str, int | None] = {
        str(s): int(summary["counts"].get(str(s), 0)) for s in range(1, top + 1)
    }
    _hide_small(counts, k)
    out["counts"] = counts
    by_scale: dict[str, Any] = {}
    for scale, entry in summary["by_scale"].items():
        if entry["total"] < k:
            by_scale[scale] = {"counts": {}, "total": None, "mean": None}
            continue
        scale_counts: dict[str, int | None] = {
            str(s): int(entry["counts"].get(str(s), 0)) for s in range(1, int(scale) + 1)
        }
        _hide_small(scale_counts, k)
        by_scale[scale] = {**entry, "counts": scale_counts}
    out["by_scale"] = by_scale
    verified = round(float(summary["verified_share"] or 0) * total)
    if verified < k or total - verified < k:
        out["verified_share"] = None
    out["suppressed"] = False
    return out
