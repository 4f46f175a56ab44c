"""Report rows whose counts are zero (every rollup row of an office deleted, so its summary row
remains with n = 0) never divide by zero: the ranking leaves the office out, the trend hides it."""

from __future__ import annotations

from collector.analytics.reports import ranking, trend


def test_an_office_with_no_ratings_left_is_not_ranked() -> None:
    rows = [
        {"office_id": "o-1", "n": 12, "total": 48.0, "verified": 6},
        {"office_id": "o-2", "n": 0, "total": 0.0, "verified": 0},
    ]
    result = ranking(rows, {"o-1": "One", "o-2": "Two"}, k=1, prior_weight=10.0)
    assert [o["office_id"] for o in result["offices"]] == ["o-1"]
    assert result["offices"][0]["rank"] == 1
    assert result["M"] == 4.0


def test_a_period_with_no_ratings_is_hidden_even_when_k_is_zero() -> None:
    points = trend([{"day": 0, "n": 0, "total": 0.0, "verified": 0}], "day", k=0)
    assert points == [
        {"period": points[0]["period"], "n": None, "mean": None, "verified_share": None,
         "suppressed": True}
    ]  # fmt: skip
