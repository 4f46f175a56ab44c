"""Where the counter is: GPS fixes through a filter, else the provisioned location.

Published (retained) on the first good fix, when the device moved more than
``move_threshold_m`` from the last published point, and every ``republish_interval_s``. The good
fixes of the first ``consolidate_s`` seconds (after start and after a move) are then sent once
more as one consolidated fix (agent/fix_sampler.py), which the collector counts as that many.
Without a good fix the provisioned location is published with ``source: provisioned``: the
one ``set_location`` last sent (remembered in a small JSON file), else the config's.
A fix is good when its mode is at least ``min_mode`` and its known quality figures (HDOP, and
the estimated horizontal error ``eph``) are within the limits; a fix with neither figure is
not trusted.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from agent.clock import Clock
from agent.config import LocationSettings
from agent.fix_sampler import FixSampler
from agent.geo import distance_m
from agent.wire import LocationBody, body_dict
from protocols.errors import ProtocolError

_LOGGER = logging.getLogger(__name__)

GpsStatus = Literal["fix", "nofix", "absent"]
FIX_STALE_S = 60.0
"""A fix older than this no longer counts as the current position (gpsd reports every second)."""


@dataclass(frozen=True, slots=True)
class Fix:
    lat: float
    lon: float
    mode: int
    hdop: float | None = None
    eph: float | None = None
    sats: int | None = None


FixListener = Callable[[Fix], None]


class LocationSource(Protocol):
    @property
    def status(self) -> GpsStatus: ...

    def start(self, listener: FixListener) -> None: ...

    def stop(self) -> None: ...


class LocationTracker:
    """Decides what to publish; ``publish`` returns False when offline (retried on connect)."""

    def __init__(
        self,
        settings: LocationSettings,
        clock: Clock,
        publish: Callable[[LocationBody], bool],
        memory_path: Path | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._publish = publish
        self._memory = memory_path
        self._lock = threading.Lock()
        self._fix: Fix | None = None
        self._fix_at = -math.inf
        self._published: LocationBody | None = None
        self._published_at = -math.inf
        self._pending: LocationBody | None = None
        self._sampler: FixSampler | None = None
        self._consolidated: LocationBody | None = None
        self.provisioned = self._load_memory() or self._configured()

    def _configured(self) -> LocationBody | None:
        s = self.settings
        if s.lat is None or s.lon is None:
            return None
        return LocationBody(lat=s.lat, lon=s.lon, source="provisioned", accuracy_m=s.accuracy_m)

    def _load_memory(self) -> LocationBody | None:
        if self._memory is None or not self._memory.exists():
            return None
        try:
            return LocationBody.from_dict(json.loads(self._memory.read_bytes()))
        except (OSError, ValueError, TypeError, ProtocolError) as exc:
            _LOGGER.warning("ignoring remembered location %s: %s", self._memory, exc)
            return None

    def good(self, fix: Fix) -> bool:
        s = self.settings
        if fix.mode < s.min_mode or (fix.hdop is None and fix.eph is None):
            return False
        if fix.hdop is not None and fix.hdop > s.max_hdop:
            return False
        return fix.eph is None or fix.eph <= s.max_eph_m

    def on_fix(self, fix: Fix) -> None:
        if not self.good(fix):
            return
        with self._lock:
            now = self._clock.monotonic()
            self._fix, self._fix_at = fix, now
            last = self._published
            if (
                last is None
                or last.source != "gps"
                or distance_m(last.lat, last.lon, fix.lat, fix.lon) > self.settings.move_threshold_m
            ):
                self._send(self._gps_body(fix))
                self._start_sampling(now)
            self._sample(fix, now)

    def _start_sampling(self, now: float) -> None:
        s = self.settings
        self._consolidated = None
        if s.consolidate_s > 0:
            self._sampler = FixSampler(now, s.consolidate_s, s.consolidate_max_fixes)

    def _sample(self, fix: Fix | None, now: float) -> None:
        sampler = self._sampler
        if sampler is None:
            return
        if fix is not None:
            sampler.add(fix)
        if sampler.due(now):
            self._sampler = None
            self._consolidated = sampler.body(now)
            self._send(self._consolidated)

    @staticmethod
    def _gps_body(fix: Fix) -> LocationBody:
        return LocationBody(
            lat=fix.lat,
            lon=fix.lon,
            source="gps",
            accuracy_m=fix.eph,
            hdop=fix.hdop,
            sats=fix.sats,
            fix="3d" if fix.mode >= 3 else "2d",
        )

    def _current(self) -> LocationBody | None:
        fresh = self._clock.monotonic() - self._fix_at < FIX_STALE_S
        if self._fix is not None and fresh:
            return self._consolidated or self._gps_body(self._fix)
        return self.provisioned

    def _send(self, body: LocationBody) -> None:
        self._published, self._published_at = body, self._clock.monotonic()
        self._pending = None if self._publish(body) else body

    def tick(self) -> None:
        """Publish at start (provisioned, if no fix yet) and every ``republish_interval_s``."""
        with self._lock:
            self._sample(None, self._clock.monotonic())
            due = self._clock.monotonic() - self._published_at >= self.settings.republish_interval_s
            body = self._current()
            if due and body is not None:
                self._send(body)

    def connected(self) -> None:
        """Send what could not be sent while offline."""
        with self._lock:
            if self._pending is not None:
                self._send(self._pending)

    def set_provisioned(self, lat: float, lon: float, accuracy_m: float | None) -> None:
        """Remember the location ops set (``set_location``) and publish it."""
        body = LocationBody(lat=lat, lon=lon, source="provisioned", accuracy_m=accuracy_m)
        if self._memory is not None:
            tmp = self._memory.with_suffix(".tmp")
            tmp.write_text(json.dumps(body_dict(body)))
            os.replace(tmp, self._memory)
        with self._lock:
            self.provisioned = body
            self._send(body)


class GpsdSource:
    """Fixes from gpsd (TPV and SKY reports) via gpsdclient, on its own thread; reconnects."""

    RETRY_S = 5.0

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._status: GpsStatus = "absent"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: object | None = None

    @property
    def status(self) -> GpsStatus:
        return self._status

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def start(self, listener: FixListener) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(listener,), name="gpsd", daemon=True
        )
        self._thread.start()

    def _run(self, listener: FixListener) -> None:
        from gpsdclient.client import GPSDClient  # noqa: PLC0415 (only GPS devices need it)

        while not self._stop.is_set():
            try:
                client = GPSDClient(host=self._host, port=self._port, timeout=10)
                self._client = client
                self._stream(client, listener)
            except (OSError, ValueError) as exc:
                _LOGGER.info("gpsd %s:%s unavailable: %s", self._host, self._port, exc)
            self._status = "absent"
            self._stop.wait(self.RETRY_S)

    def _stream(self, client: object, listener: FixListener) -> None:
        hdop: float | None = None
        sats: int | None = None
        for report in client.dict_stream(filter=["TPV", "SKY"]):  # type: ignore[attr-defined]
            if self._stop.is_set():
                return
            if self._status == "absent":
                self._status = "nofix"  # gpsd answers: the receiver may still search
            if report.get("class") == "SKY":
                hdop = report.get("hdop", hdop)
                used = report.get("uSat")
                if used is None and isinstance(report.get("satellites"), list):
                    used = sum(1 for s in report["satellites"] if s.get("used"))
                sats = used if used is not None else sats
                continue
            mode = int(report.get("mode", 0))
            if mode < 2 or "lat" not in report or "lon" not in report:
                self._status = "nofix"
                continue
            self._status = "fix"
            eph = report.get("eph")
            if eph is None and "epx" in report and "epy" in report:
                eph = math.hypot(report["epx"], report["epy"])
            listener(Fix(report["lat"], report["lon"], mode, hdop, eph, sats))

    def stop(self) -> None:
        self._stop.set()
        client = self._client
        if client is not None:
            client.close()  # type: ignore[attr-defined]
        if self._thread is not None:
            self._thread.join(timeout=2)


def remembered_location_path(outbox_path: Path) -> Path:
    """Where ``set_location`` is remembered: beside the outbox (the device's state dir)."""
    return outbox_path.with_name("location.json")
