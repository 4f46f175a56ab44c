"""Backoff with jitter under a Retry-After floor; signatures, their window and their tampering."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from collector.cases.backoff import delay_s, parse_retry_after
from collector.cases.signing import SignatureError, signature, verify


def test_backoff_doubles_with_jitter_and_cap() -> None:
    rand = random.Random(3)
    for attempts in range(1, 12):
        exp = min(600.0, 2.0 * 2 ** (attempts - 1))
        for _ in range(50):
            wait = delay_s(attempts, base_s=2, cap_s=600, rand=rand)
            assert exp * 0.5 <= wait <= exp
    waits = {round(delay_s(3, base_s=2, cap_s=600, rand=rand), 3) for _ in range(20)}
    assert len(waits) > 10  # jittered, not one value


def test_retry_after_is_a_floor_within_the_cap() -> None:
    assert delay_s(1, base_s=2, cap_s=600, retry_after_s=45) == 45
    assert delay_s(1, base_s=2, cap_s=600, retry_after_s=10_000) == 600
    assert delay_s(10, base_s=2, cap_s=600, retry_after_s=1) >= 300


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Wed, 02 Dec 2026 16:01:00 GMT", 60.0),
        ("Wed, 02 Dec 2026 15:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
        ("", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == expected


def test_signature_checks() -> None:
    body = b'{"case_id":"x","status":"closed"}'
    good = signature("s3cret", 1000, body)
    assert verify("s3cret", timestamp="1000", given=good, body=body, now_s=1100, window_s=300)
    with pytest.raises(SignatureError, match="window"):
        verify("s3cret", timestamp="1000", given=good, body=body, now_s=1400, window_s=300)
    with pytest.raises(SignatureError, match="does not match"):
        verify("s3cret", timestamp="1000", given=good, body=body + b" ", now_s=1000, window_s=300)
    with pytest.raises(SignatureError, match="does not match"):
        verify("other", timestamp="1000", given=good, body=body, now_s=1000, window_s=300)
    with pytest.raises(SignatureError, match="does not match"):  # the timestamp is signed too
        verify("s3cret", timestamp="1001", given=good, body=body, now_s=1000, window_s=300)
    with pytest.raises(SignatureError, match="disabled"):
        verify("", timestamp="1000", given=good, body=body, now_s=1000, window_s=300)
