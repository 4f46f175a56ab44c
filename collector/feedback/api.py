"""JSON routes: the citizen's submission and status (public), the managers' comments, the
counters' QR codes (office scope), the QR signing keys (ops)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from collector.accounts.context import client_address
from collector.accounts.guards import CallerDep, allow, office_in_scope
from collector.accounts.principal import PersonRole, Principal
from collector.analytics.filters import date_range
from collector.api.deps import DriverDep, OpsDep, PageDep, get_principal
from collector.cases.model import CATEGORIES, STATES
from collector.feedback import keys as qr_keys
from collector.feedback import qr
from collector.feedback.citizen_status import citizen_status
from collector.feedback.context import FeedbackContext, FeedbackDep
from collector.feedback.counters import office_counters
from collector.feedback.i18n import message
from collector.feedback.intake import RateLimitedError, receive
from collector.feedback.manager_changes import CommentChange, T, set_hidden, set_reply
from collector.feedback.manager_queries import (
    CommentFilter,
    comment_office,
    list_comments,
    one_comment,
)
from collector.feedback.model import FeedbackProblemsError, has_markup
from collector.feedback.tokens import TokenError
from collector.storage import Driver

router = APIRouter(tags=["feedback"], dependencies=[Depends(get_principal)])
ROLES = (PersonRole.OPS, PersonRole.AGENCY_ADMIN, PersonRole.MANAGER)
OfficePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
CommentPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
REPLY_MAX = 1000


class FeedbackIn(BaseModel):
    """A citizen's submission: the counter token from the QR code, then the form's fields."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=300, description="the counter token of the QR link /f/{token}")
    score: int | None = Field(None, description="1..the counter's scale (3, 4 or 5)")
    comment: str = Field("", max_length=20000, description="free text; personal data removed")
    complaint: bool = False
    category: Literal[CATEGORIES] | None = None  # type: ignore[valid-type]
    contact_kind: Literal["phone", "email"] | None = None
    contact: str = Field("", max_length=300, description="only with consent, complaints only")
    consent: bool = Field(False, description="PDPA consent to keep the contact for this case")
    website: str = Field("", max_length=300, description="honeypot: leave empty")
    nonce: str | None = Field(None, description="the form's id: a resubmission returns the same")
    lang: Literal["th", "en"] = "th"


class Receipt(BaseModel):
    reference: str
    status_url: str
    duplicate: bool


class HideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hidden: bool


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=REPLY_MAX, description="empty removes the reply")


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_days: int | None = Field(None, ge=0, le=3650)


def problem(status: int, field: str, text: str) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={
            "error": f"{field}: {text}",
            "field": field,
            "details": [{"field": field, "message": text}],
        },
    )


def token_problem(lang: str, exc: TokenError) -> JSONResponse:
    key = "fb_expired_code" if exc.expired else "fb_bad_code"
    return problem(410 if exc.expired else 404, "token", message(lang, key, "token"))


def status_url(ctx: FeedbackContext, reference: str, secret: str) -> str:
    return f"{ctx.settings.public_url}/f/s/{reference}/{secret}"


@router.post(
    "/api/v1/feedback",
    status_code=201,
    summary="A citizen's score, comment or complaint (public; no account)",
    response_model=Receipt,
    responses={
        404: {"description": "the QR code's token is not one of ours (tampered or unknown key)"},
        410: {"description": "the QR code expired (or its key was retired)"},
    },
)
async def post_feedback(
    request: Request, body: FeedbackIn, driver: DriverDep, ctx: FeedbackDep
) -> Any:
    raw = body.model_dump()
    try:
        _counter, receipt = await receive(
            ctx,
            driver,
            token_text=body.token,
            raw=raw,
            client=client_address(request),
            lang=body.lang,
        )
    except RateLimitedError:
        return problem(429, "token", message(body.lang, "fb_too_many", "token"))
    except TokenError as exc:
        return token_problem(body.lang, exc)
    except FeedbackProblemsError as exc:
        field, key = next(iter(exc.problems.items()))
        text = message(
            body.lang, key, field, max=ctx.settings.feedback_comment_max, scale=exc.scale
        )
        return problem(422, field, text)
    out = Receipt(
        reference=receipt.reference,
        status_url=status_url(ctx, receipt.reference, receipt.secret),
        duplicate=receipt.duplicate,
    )
    return JSONResponse(status_code=200 if receipt.duplicate else 201, content=out.model_dump())


@router.get("/api/v1/feedback/status/{reference}", summary="A submission's status (public)")
async def get_status(
    driver: DriverDep,
    reference: Annotated[str, Path(max_length=20)],
    secret: Annotated[str, Query(max_length=128, description="the secret of the status link")],
) -> dict[str, Any]:
    found = await citizen_status(driver, reference, secret)
    if found is None:
        raise HTTPException(404, "reference: no such submission (or a wrong secret)")
    return found


async def _comment_in_scope(driver: Driver, principal: Principal, comment_id: str) -> str:
    allow(principal, *ROLES)
    office_id = await comment_office(driver, comment_id)
    if office_id is None:
        raise HTTPException(404, f"comment_id: no comment {comment_id}")
    row = await driver.fetchrow("SELECT agency_id FROM offices WHERE office_id = ?", office_id)
    if not principal.sees_office(office_id, row["agency_id"] if row else None):
        raise HTTPException(404, f"comment_id: no comment {comment_id}")
    return office_id


@router.get(
    "/api/v1/offices/{office_id}/feedback",
    summary="An office's comments and complaints with their case steps (managers)",
)
async def list_feedback(
    *,
    driver: DriverDep,
    principal: CallerDep,
    page: PageDep,
    office_id: OfficePath,
    from_: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD, Thai time")] = None,
    to: Annotated[str | None, Query(description="YYYY-MM-DD, Thai time (inclusive)")] = None,
    category: Literal[CATEGORIES] | None = None,  # type: ignore[valid-type]
    status: Literal[(*STATES, "none")] | None = None,  # type: ignore[valid-type]
    channel: Literal["web"] | None = None,
    hidden: Literal["exclude", "include", "only"] = "exclude",
) -> dict[str, Any]:
    allow(principal, *ROLES)
    await office_in_scope(driver, principal, office_id)
    period = date_range(from_, to)
    f = CommentFilter(
        from_ms=period.start_ms,
        to_ms=period.end_ms,
        category=category,
        status=status,
        channel=channel,
        hidden=hidden,
    )
    rows = await list_comments(driver, office_id, f, page.limit, page.offset)
    return {
        "office_id": office_id,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "comments": rows,
        "next_offset": page.next_offset(len(rows)),
    }


async def _apply_change(
    driver: Driver, principal: Principal, comment_id: str, change: CommentChange[T], value: T
) -> dict[str, Any]:
    """One manager change to a comment (scope already checked), answered with the comment as it
    now is."""
    await change(driver, comment_id, value, principal.actor, qr_keys.now_ms())
    return await one_comment(driver, comment_id)


@router.post("/api/v1/feedback/{comment_id}/hide", summary="Hide a comment as spam, or unhide")
async def hide_feedback(
    driver: DriverDep, principal: CallerDep, comment_id: CommentPath, body: HideIn
) -> dict[str, Any]:
    await _comment_in_scope(driver, principal, comment_id)
    return await _apply_change(driver, principal, comment_id, set_hidden, body.hidden)


@router.put(
    "/api/v1/feedback/{comment_id}/reply",
    summary="The office's reply note, shown on the citizen's status page",
)
async def reply_feedback(
    driver: DriverDep, principal: CallerDep, comment_id: CommentPath, body: ReplyIn
) -> Any:
    await _comment_in_scope(driver, principal, comment_id)
    text = body.text.strip()
    if has_markup(text):
        return problem(422, "text", "no code or HTML tags")
    return await _apply_change(driver, principal, comment_id, set_reply, text)


@router.get(
    "/api/v1/offices/{office_id}/qr",
    summary="The office's counters and their QR links (managers, ops)",
)
async def office_qr_links(
    driver: DriverDep, principal: CallerDep, ctx: FeedbackDep, office_id: OfficePath
) -> dict[str, Any]:
    allow(principal, *ROLES)
    await office_in_scope(driver, principal, office_id)
    signer = ctx.signer(driver)
    counters = []
    for label in await office_counters(driver, office_id):
        token = await signer.issue(office_id, label)
        counters.append(
            {"counter_label": label, "url": qr.form_url(ctx.settings.public_url, token)}
        )
    return {"office_id": office_id, "counters": counters}


@router.get(
    "/api/v1/offices/{office_id}/qr/{counter_label}",
    summary="One counter's QR code as SVG or PNG (managers, ops)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}},
)
async def office_qr_image(
    *,
    driver: DriverDep,
    principal: CallerDep,
    ctx: FeedbackDep,
    office_id: OfficePath,
    counter_label: Annotated[str, Path(max_length=64)],
    format: Literal["svg", "png"] = "svg",
) -> Response:
    allow(principal, *ROLES)
    await office_in_scope(driver, principal, office_id)
    if counter_label not in await office_counters(driver, office_id):
        raise HTTPException(404, f"counter_label: no counter {counter_label} in {office_id}")
    url = qr.form_url(
        ctx.settings.public_url, await ctx.signer(driver).issue(office_id, counter_label)
    )
    if format == "png":
        return Response(qr.png(url), media_type="image/png")
    return Response(qr.svg(url), media_type="image/svg+xml")


@router.get("/api/v1/feedback/keys", summary="QR signing keys: ids and validity (ops)")
async def list_qr_keys(driver: DriverDep, _ops: OpsDep) -> dict[str, Any]:
    await qr_keys.signing_key_id(driver)
    return {"keys": [k.to_json() for k in await qr_keys.list_keys(driver)]}


@router.post(
    "/api/v1/feedback/keys/rotate",
    status_code=201,
    summary="A new QR signing key; older codes stay valid for the grace period (ops)",
)
async def rotate_qr_keys(
    driver: DriverDep,
    _ops: OpsDep,
    ctx: FeedbackDep,
    body: Annotated[RotateIn | None, Body()] = None,
) -> dict[str, Any]:
    grace = ctx.settings.qr_key_grace_days
    if body is not None and body.grace_days is not None:
        grace = body.grace_days
    new = await qr_keys.rotate(driver, grace)
    return {
        "signing": new.to_json(),
        "keys": [k.to_json() for k in await qr_keys.list_keys(driver)],
    }
