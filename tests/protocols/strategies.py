"""Hypothesis strategies for valid wire messages (one per message type)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

import protocols as p
from protocols.base import WireModel

device_ids = st.from_regex(r"\A[a-z0-9][a-z0-9-]{2,20}\Z")
uuids = st.uuids()
pseudonyms = st.from_regex(r"\A[a-z2-7]{26}\Z")
offsets = st.sampled_from([UTC, p.ICT, timezone(timedelta(hours=-3, minutes=-30))])
times = st.builds(
    lambda dt, tz: dt.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2100, 1, 1)),
    offsets,
)
non_negative = st.floats(min_value=0, max_value=1e8, allow_nan=False, allow_infinity=False)
# Each float of the protocol has a range (v1 tightening): draw within it.
within_a_day = st.floats(min_value=0, max_value=86400, allow_nan=False, allow_infinity=False)
accuracy = st.floats(min_value=0, max_value=100_000, allow_nan=False, allow_infinity=False)
short_text = st.text(max_size=200)
lat = st.floats(min_value=-90, max_value=90, allow_nan=False)
lon = st.floats(min_value=-180, max_value=180, allow_nan=False)


def _envelope(**extra: Any) -> dict[str, Any]:
    return {"v": st.just(1), "id": uuids, "device": device_ids, "ts": times, **extra}


@st.composite
def ratings(draw: st.DrawFn) -> p.RatingBody:
    scale = draw(st.sampled_from([3, 4, 5]))
    return p.RatingBody(
        session=draw(st.none() | uuids),
        score=draw(st.integers(1, scale)),
        scale=scale,
        verified=draw(st.booleans()),
        after_s=draw(st.none() | within_a_day),
    )


@st.composite
def dropped(draw: st.DrawFn) -> p.OutboxDroppedBody:
    first = draw(st.integers(1, 10**9))
    return p.OutboxDroppedBody(
        from_seq=first, to_seq=first + draw(st.integers(0, 10**6)), reason="disk_full"
    )


seqs = st.integers(1, 2**53)
bodies = {
    p.SessionStarted: st.builds(
        p.SessionStartedBody,
        session=uuids,
        visitor=st.none() | pseudonyms,
        card_valid=st.none() | st.booleans(),
        age_band=st.none() | st.sampled_from(["0-19", "20-29", "50-59", "70+"]),
        sex=st.none() | st.sampled_from(["F", "M"]),
    ),
    p.SessionEnded: st.builds(
        p.SessionEndedBody,
        session=uuids,
        duration_s=within_a_day,
        reason=st.sampled_from(["card_removed", "timeout", "staff"]),
    ),
    p.Rating: ratings(),
    p.CopyRequested: st.builds(
        p.CopyRequestedBody,
        session=st.none() | uuids,
        document=st.sampled_from(["id_card", "house_registration", "other"]),
    ),
    p.OutboxDropped: dropped(),
    p.Fault: st.builds(
        p.FaultBody,
        component=st.sampled_from(["reader", "panel", "gps", "storage", "clock"]),
        code=st.from_regex(r"\A[a-z0-9_]{1,30}\Z"),
        detail=short_text,
    ),
}

events = st.one_of(
    *[
        st.builds(model, body=body, seq=seqs, **_envelope())  # type: ignore[arg-type]
        for model, body in bodies.items()
    ]
)
heartbeats = st.builds(
    p.Heartbeat,
    body=st.builds(
        p.HeartbeatBody,
        uptime_s=non_negative,
        sw_version=st.from_regex(r"\A[0-9a-z.+-]{1,20}\Z"),
        last_seq=st.integers(0, 2**53),
        outbox_depth=st.integers(0, 10**7),
        outbox_oldest_s=st.none() | non_negative,
        reader=st.sampled_from(["present", "absent", "error"]),
        panel=st.sampled_from(["ok", "fault"]),
        gps=st.sampled_from(["fix", "nofix", "absent"]),
        clock_synced=st.booleans(),
        cpu_temp_c=st.none() | st.floats(-40, 120),
        load1=st.none() | st.floats(0, 64),
        mem_used_pct=st.none() | st.floats(0, 100),
        disk_free_mb=st.none() | non_negative,
    ),
    **_envelope(),
)
locations = st.builds(
    p.Location,
    body=st.builds(
        p.LocationBody,
        lat=lat,
        lon=lon,
        source=st.sampled_from(["gps", "provisioned"]),
        accuracy_m=st.none() | accuracy,
        hdop=st.none() | st.floats(0, 99),
        sats=st.none() | st.integers(0, 40),
        fix=st.none() | st.sampled_from(["2d", "3d"]),
    ),
    **_envelope(),
)
states = st.builds(
    p.State,
    v=st.just(1),
    device=device_ids,
    state=st.sampled_from(["online", "offline"]),
    sw_version=st.none() | st.text(max_size=20),
)
acks = st.builds(p.Ack, v=st.just(1), device=device_ids, acked_seq=st.integers(0, 2**53))
commands = st.one_of(
    st.builds(p.Identify, body=st.builds(p.IdentifyBody, expires=times), **_envelope()),
    st.builds(p.ReloadConfig, body=st.builds(p.ReloadConfigBody, expires=times), **_envelope()),
    st.builds(p.Ping, body=st.builds(p.PingBody, expires=times), **_envelope()),
    st.builds(
        p.SetLocation,
        body=st.builds(p.SetLocationBody, expires=times, lat=lat, lon=lon),
        **_envelope(),
    ),
)
results = st.builds(
    p.CommandResult,
    body=st.builds(p.CommandResultBody, command=uuids, ok=st.booleans(), detail=short_text),
    **_envelope(),
)

by_channel: dict[p.Channel, st.SearchStrategy[WireModel]] = {
    p.Channel.EVENTS: events,
    p.Channel.HEARTBEAT: heartbeats,
    p.Channel.LOCATION: locations,
    p.Channel.STATE: states,
    p.Channel.ACKS: acks,
    p.Channel.COMMANDS: commands,
    p.Channel.COMMAND_RESULTS: results,
}
