"""Liveness and readiness (public), Prometheus metrics (a fleet role's bearer token).

Metrics sit behind the same bearer tokens as the fleet views rather than on a second listener:
one port for the TLS proxy, and the token can expire and be revoked. Prometheus sends it with
``authorization: {type: Bearer, credentials_file: ...}`` (collector/README.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from collector.api.deps import CollectorDep, FleetDep
from collector.fleet import ALERT_KINDS, compute_alerts
from collector.fleet_gauges import fleet_gauges
from collector.rating_gauges import rating_gauges
from collector.reader_mode import replica_status

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="200 while the process runs")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="200 only when the database and the broker (subscribed) are ready")
async def readyz(collector: CollectorDep) -> JSONResponse:
    checks = await collector.readiness()
    ready = all(checks.values())
    content: dict[str, object] = {"status": "ready" if ready else "not ready", "checks": checks}
    if collector.settings.reader and checks["database"]:  # stale reads are still served
        content["replica"] = await replica_status(collector.driver)
    return JSONResponse(status_code=200 if ready else 503, content=content)


@router.get(
    "/metrics", summary="Prometheus text format (viewer, technician, ops)", response_class=Response
)
async def metrics(collector: CollectorDep, _fleet: FleetDep) -> Response:
    m = collector.metrics
    checks = await collector.readiness()
    m.ready.set(1 if all(checks.values()) else 0)
    if checks["database"]:
        driver = collector.driver
        alerts = await compute_alerts(driver, collector.settings)
        counts = dict.fromkeys(ALERT_KINDS, 0)
        for alert in alerts:
            counts[alert.kind] = counts.get(alert.kind, 0) + 1
        for kind, count in counts.items():
            m.alerts.labels(kind).set(count)
        m.quarantined_devices.set(counts["quarantined"])
        m.seq_gaps_open.set(
            # a float sum: SQLite's integer sum() raises on overflow (PostgreSQL widens to numeric)
            float(
                await driver.fetchval(
                    "SELECT coalesce(sum(CAST(missing AS DOUBLE PRECISION)), 0) FROM device_seq"
                )
                or 0
            )
        )
        fleet = await fleet_gauges(driver, collector.settings)
        for state, count in fleet.devices.items():
            m.devices.labels(state).set(count)
        m.fleet_outbox_depth.set(fleet.outbox_depth)
        m.fleet_outbox_oldest.set(fleet.outbox_oldest_s)
        m.fleet_last_heard.set(fleet.last_heard_s or 0)
        ratings = await rating_gauges(driver)
        m.ratings_24h.clear()
        for (scale, score, verified), count in ratings.counts.items():
            m.ratings_24h.labels(str(scale), str(score), str(verified).lower()).set(count)
        m.rating_mean_24h.set(float("nan") if ratings.mean is None else ratings.mean)
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
