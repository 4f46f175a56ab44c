"""HTTP routes of the cases part: the centre's signed status callback, and ops' view of the
outbox (dead letters included) with a retry. The citizen's and managers' views of a case are the
feedback part's (collector/feedback), which read :func:`collector.cases.case_timeline`."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import ValidationError

from collector.api.deps import CollectorDep, DriverDep, OpsDep, PageDep, get_principal
from collector.cases import outbox
from collector.cases.callbacks import CaseCallback, ReplayRefusedError, apply_callback
from collector.cases.lifecycle import TransitionRefusedError
from collector.cases.service import Cases
from collector.cases.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from collector.fleet import iso
from collector.runtime import Collector

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
ops_router = APIRouter(
    prefix="/api/v1/cases", tags=["cases"], dependencies=[Depends(get_principal)]
)


def _cases(collector: Collector) -> Cases:
    if collector.cases is None:
        raise HTTPException(503, "cases: the collector is not started")
    return collector.cases


def _ms(value: Any) -> str | None:
    return iso(int(value)) if value is not None else None


@router.post(
    "/callback",
    summary="Status update from the 1111 centre (signed: HMAC-SHA256 + timestamp)",
    description=(
        "No credential: the body is signed like the webhook (a failed check answers 403). "
        f"Headers: `{TIMESTAMP_HEADER}` (unix seconds, within "
        "CF_CASES_CALLBACK_WINDOW_S of now) and `{SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of "
        "'<timestamp>.<body>' with CF_CASES_WEBHOOK_SECRET>`. The same signed request twice is "
        "refused (409, replay). A case moves forward only: accepted (with the centre's reference) "
        "then closed (with the outcome)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CaseCallback.model_json_schema()}},
        },
        "parameters": [
            {
                "name": TIMESTAMP_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
            },
            {
                "name": SIGNATURE_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
            },
        ],
    },
    responses={
        403: {"description": "signature missing, wrong or stale", "content": _ERROR},
        404: {"description": "no such case", "content": _ERROR},
        409: {"description": "a replay, or a step backwards", "content": _ERROR},
    },
)
async def callback(request: Request, collector: CollectorDep) -> dict[str, Any]:
    cases = _cases(collector)
    body = await request.body()
    try:
        signature = verify(
            cases.settings.cases_webhook_secret,
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            given=request.headers.get(SIGNATURE_HEADER),
            body=body,
            now_s=time.time(),
            window_s=cases.settings.cases_callback_window_s,
        )
    except SignatureError as exc:
        raise HTTPException(403, str(exc)) from None
    try:
        update = CaseCallback.model_validate_json(body)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise HTTPException(422, f"{field}: {err['msg']}") from None
    if update.status == "accepted" and not update.reference:
        raise HTTPException(422, "reference: the centre's reference is required for accepted")
    try:
        moved = await apply_callback(
            collector.driver, update, signature=signature, now_ms=int(time.time() * 1000)
        )
    except ReplayRefusedError as exc:
        raise HTTPException(409, f"{SIGNATURE_HEADER}: {exc}") from None
    except TransitionRefusedError as exc:
        raise HTTPException(404 if exc.missing else 409, f"case_id: {exc}") from None
    return {"case_id": moved.case_id, "state": moved.state, "changed": moved.changed}


@ops_router.get("/outbox", summary="Cases waiting, delivered or dead-lettered (ops)")
async def outbox_list(
    driver: DriverDep,
    _ops: OpsDep,
    page: PageDep,
    status: Annotated[
        Literal["pending", "delivered", "dead"], Query(description="which rows")
    ] = "dead",
) -> dict[str, Any]:
    rows = await outbox.listing(driver, status=status, limit=page.limit, offset=page.offset)
    items = [
        {
            "case_id": r["case_id"],
            "office_id": r["office_id"],
            "category": r["category"],
            "state": r["state"],
            "status": r["status"],
            "attempts": r["attempts"],
            "last_error": r["last_error"],
            "transport": r["transport"],
            "created": _ms(r["created_ms"]),
            "next_try": _ms(r["next_try_ms"]) if r["status"] == "pending" else None,
            "delivered": _ms(r["delivered_ms"]),
            "dead": _ms(r["dead_ms"]),
        }
        for r in rows
    ]
    return {
        "items": items,
        "counts": await outbox.counts(driver),
        "next_offset": page.next_offset(len(rows)),
    }


@ops_router.post(
    "/outbox/{case_id}/retry",
    summary="Put a dead-lettered case back in the queue (ops)",
    responses={404: {"description": "no dead-lettered case with this id", "content": _ERROR}},
)
async def outbox_retry(case_id: str, driver: DriverDep, _ops: OpsDep) -> dict[str, Any]:
    if not await outbox.retry_dead(driver, case_id, now_ms=int(time.time() * 1000)):
        raise HTTPException(404, f"case_id: no dead-lettered case {case_id}")
    return {"case_id": case_id, "status": "pending"}


@ops_router.get("/{case_id}", summary="One case and its timeline (ops)")
async def case_detail(case_id: str, driver: DriverDep, _ops: OpsDep) -> dict[str, Any]:
    case = await driver.fetchrow(
        "SELECT c.*, o.status AS outbox_status, o.attempts FROM cases c "
        "LEFT JOIN case_outbox o ON o.case_id = c.case_id WHERE c.case_id = ?",
        case_id,
    )
    if case is None:
        raise HTTPException(404, f"case_id: no case {case_id}")
    steps = await driver.fetch(
        "SELECT state, at_ms, centre_ref, outcome, note FROM case_steps WHERE case_id = ? "
        "ORDER BY at_ms, id",
        case_id,
    )
    return {
        "case_id": case["case_id"],
        "office_id": case["office_id"],
        "counter": case["counter_label"],
        "category": case["category"],
        "state": case["state"],
        "centre_ref": case["centre_ref"],
        "outcome": case["outcome"],
        "has_contact": bool(case["has_contact"]) and case["contact_purged_ms"] is None,
        "outbox": {"status": case["outbox_status"], "attempts": case["attempts"]},
        "steps": [
            {
                "state": s["state"],
                "at": _ms(s["at_ms"]),
                "centre_ref": s["centre_ref"],
                "outcome": s["outcome"],
                "note": s["note"],
            }
            for s in steps
        ],
    }


routers = (router, ops_router)
