"""Pages: the citizen's phone form and status page (public), the QR print page and the
managers' comments page (logged-in ops, agency admins, managers of the office)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from collector.accounts.context import client_address
from collector.accounts.pages import csrf_ok, page_principal
from collector.accounts.principal import PersonRole, Principal
from collector.analytics.filters import page_date_range
from collector.api.deps import DriverDep
from collector.cases.model import CATEGORIES, STATES
from collector.feedback import keys as qr_keys
from collector.feedback import qr
from collector.feedback.citizen_status import citizen_status
from collector.feedback.context import FeedbackContext, FeedbackDep
from collector.feedback.counters import office_counters
from collector.feedback.i18n import message
from collector.feedback.intake import RateLimitedError, open_counter, receive
from collector.feedback.manager_changes import CommentChange, T, set_hidden, set_reply
from collector.feedback.manager_queries import CommentFilter, comment_office, list_comments
from collector.feedback.model import FeedbackProblemsError, has_markup
from collector.feedback.render import render, strings
from collector.feedback.tokens import TokenError
from collector.storage import Driver, Row
from collector.web.form_pages import lang_of
from collector.web.form_posts import FormText, PublicForm

router = APIRouter(tags=["feedback pages"], include_in_schema=False)
ROLES = (PersonRole.OPS, PersonRole.AGENCY_ADMIN, PersonRole.MANAGER)
BANGKOK = ZoneInfo("Asia/Bangkok")


class FeedbackForm(PublicForm):
    """The phone form's fields, as posted (checked by ``model.check``)."""

    nonce: str = ""
    score: str = ""
    comment: str = ""
    complaint: str = ""
    category: str = ""
    contact_kind: str = ""
    contact: str = ""
    consent: str = ""


def when(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, BANGKOK).strftime("%Y-%m-%d %H:%M")


def _bad_code(request: Request, exc: TokenError) -> Response:
    s = strings(lang_of(request))
    text = s["fb_expired_code"] if exc.expired else s["fb_bad_code"]
    return render(request, "feedback_bad_code.html", status=410 if exc.expired else 404, text=text)


def _form(
    request: Request,
    ctx: FeedbackContext,
    office: Row,
    counter_label: str,
    scale: int,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "feedback_form.html",
        status=status,
        office=office,
        counter_label=counter_label,
        scale=scale,
        categories=CATEGORIES,
        contact_allowed=ctx.contact_allowed(),
        nonce=(values or {}).get("nonce") or secrets.token_urlsafe(12),
        errors=errors or {},
        values=values or {},
        comment_max=ctx.settings.feedback_comment_max,
    )


@router.get("/f/{token}")
async def feedback_form(
    request: Request, token: str, driver: DriverDep, ctx: FeedbackDep
) -> Response:
    try:
        counter = await open_counter(ctx, driver, token)
    except TokenError as exc:
        return _bad_code(request, exc)
    return _form(request, ctx, counter.office, counter.token.counter_label, counter.scale)


@router.post("/f/{token}")
async def feedback_post(
    request: Request,
    token: str,
    driver: DriverDep,
    ctx: FeedbackDep,
    form: Annotated[FeedbackForm, Form()],
) -> Response:
    lang = lang_of(request)
    s = strings(lang)
    values = form.values(honeypot=True)
    try:
        counter = await open_counter(ctx, driver, token)
    except TokenError as exc:
        return _bad_code(request, exc)
    page = (counter.office, counter.token.counter_label, counter.scale)
    if not csrf_ok(request, None, form.csrf_token):
        return _form(
            request, ctx, *page, status=403, errors={"_form": s["err_csrf"]}, values=values
        )
    try:
        _counter, receipt = await receive(
            ctx, driver, token_text=token, raw=values, client=client_address(request), lang=lang
        )
    except TokenError as exc:
        return _bad_code(request, exc)
    except RateLimitedError:
        return _form(
            request, ctx, *page, status=429, errors={"_form": s["fb_too_many"]}, values=values
        )
    except FeedbackProblemsError as exc:
        errors = {
            f: message(lang, key, f, max=ctx.settings.feedback_comment_max, scale=exc.scale)
            for f, key in exc.problems.items()
        }
        return _form(request, ctx, *page, status=422, errors=errors, values=values)
    flag = "dup" if receipt.duplicate else "new"
    return RedirectResponse(f"/f/s/{receipt.reference}/{receipt.secret}?{flag}=1", status_code=303)


@router.get("/f/s/{reference}/{secret}")
async def feedback_status(
    request: Request, reference: str, secret: str, driver: DriverDep
) -> Response:
    found = await citizen_status(driver, reference, secret)
    s = strings(lang_of(request))
    if found is None:
        return render(request, "feedback_bad_code.html", status=404, text=s["fb_status_missing"])
    message_text = None
    if "new" in request.query_params:
        message_text = s["fb_thanks"]
    elif "dup" in request.query_params:
        message_text = s["fb_duplicate"]
    return render(request, "feedback_status.html", item=found, when=when, message=message_text)


async def _office_page(
    request: Request, driver: Driver, office_id: str, after: str
) -> tuple[Principal | None, Row | None, Response | None]:
    principal = await page_principal(request, driver)
    if principal is None:
        return None, None, RedirectResponse(f"/login?next={after}", status_code=303)
    row = await driver.fetchrow(
        "SELECT office_id, agency_id, name_th, name_en FROM offices WHERE office_id = ?", office_id
    )
    if (
        principal.role not in ROLES
        or row is None
        or not principal.sees_office(office_id, row["agency_id"])
    ):
        return principal, None, render(request, "not_found.html", principal=principal, status=404)
    return principal, row, None


@router.get("/offices/{office_id}/qr")
async def qr_print_page(
    request: Request, office_id: str, driver: DriverDep, ctx: FeedbackDep
) -> Response:
    principal, office, refused = await _office_page(
        request, driver, office_id, f"/offices/{office_id}/qr"
    )
    if refused is not None or office is None:
        assert refused is not None
        return refused
    signer = ctx.signer(driver)
    cards = []
    for label in await office_counters(driver, office_id):
        url = qr.form_url(ctx.settings.public_url, await signer.issue(office_id, label))
        cards.append({"label": label, "url": url, "svg": qr.svg(url)})
    return render(request, "feedback_qr.html", principal=principal, office=office, cards=cards)


@router.get("/offices/{office_id}/feedback")
async def managers_page(request: Request, office_id: str, driver: DriverDep) -> Response:
    principal, office, refused = await _office_page(
        request, driver, office_id, f"/offices/{office_id}/feedback"
    )
    if refused is not None or office is None:
        assert refused is not None
        return refused
    return await _manage(request, driver, office, principal, {})


async def _manage(
    request: Request,
    driver: Driver,
    office: Row,
    principal: Principal | None,
    errors: dict[str, str],
) -> Response:
    office_id = office["office_id"]
    q = request.query_params
    period = page_date_range(q, errors)
    category = q.get("category") if q.get("category") in CATEGORIES else None
    status = q.get("status") if q.get("status") in (*STATES, "none") else None
    channel = "web" if q.get("channel") == "web" else None
    hidden = str(q.get("hidden")) if q.get("hidden") in ("include", "only") else "exclude"
    f = CommentFilter(period.start_ms, period.end_ms, category, status, channel, hidden)
    comments = await list_comments(driver, office_id, f, 200, 0)
    filters: dict[str, Any] = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "category": category or "",
        "status": status or "",
        "channel": channel or "",
        "hidden": hidden,
    }
    return render(
        request,
        "feedback_manage.html",
        principal=principal,
        status=422 if errors else 200,
        errors=errors,
        office=office,
        comments=comments,
        filters=filters,
        categories=CATEGORIES,
        states=STATES,
        when=when,
        back=str(request.url.path) + ("?" + str(request.url.query) if request.url.query else ""),
    )


def _safe_back(office_id: str, back: str) -> str:
    prefix = f"/offices/{office_id}/feedback"
    return back if back.startswith(prefix) and "//" not in back else prefix


@dataclass(frozen=True, slots=True)
class CommentPost:
    """What every manager's post about one comment carries: the office and the comment (path),
    the form's CSRF token and the page to go back to."""

    office_id: str
    comment_id: str
    csrf_token: str
    back: str


def _comment_post(
    office_id: str, comment_id: str, csrf_token: FormText = "", back: FormText = ""
) -> CommentPost:
    return CommentPost(office_id, comment_id, csrf_token, back)


CommentPostDep = Annotated[CommentPost, Depends(_comment_post)]


async def _change_comment(
    request: Request,
    driver: Driver,
    post: CommentPost,
    change: CommentChange[T],
    value: T,
    *,
    errors: dict[str, str] | None = None,
) -> Response:
    """A manager's change to one of the office's comments, then back to the page it was made on;
    or the page that refuses it (login, not found, a bad CSRF token, a comment of another
    office), or the office's comments page again with ``errors`` (a bad value; nothing done)."""
    office_id, comment_id = post.office_id, post.comment_id
    principal, office, refused = await _office_page(
        request, driver, office_id, f"/offices/{office_id}/feedback"
    )
    if refused is not None or principal is None or office is None:
        assert refused is not None
        return refused
    if not csrf_ok(request, principal, post.csrf_token):
        return render(request, "not_found.html", principal=principal, status=403)
    if await comment_office(driver, comment_id) != office_id:
        return render(request, "not_found.html", principal=principal, status=404)
    if errors:
        return await _manage(request, driver, office, principal, errors)
    await change(driver, comment_id, value, principal.actor, qr_keys.now_ms())
    return RedirectResponse(_safe_back(office_id, post.back), status_code=303)


@router.post("/offices/{office_id}/feedback/{comment_id}/hide")
async def managers_hide(
    request: Request, driver: DriverDep, post: CommentPostDep, hidden: FormText = ""
) -> Response:
    return await _change_comment(request, driver, post, set_hidden, hidden == "1")


@router.post("/offices/{office_id}/feedback/{comment_id}/reply")
async def managers_reply(
    request: Request, driver: DriverDep, post: CommentPostDep, text: FormText = ""
) -> Response:
    text = text.strip()
    errors = {}
    if len(text) > 1000 or has_markup(text):
        key = "err_too_long" if len(text) > 1000 else "err_markup"
        errors = {"text": message(lang_of(request), key, "text", max=1000)}
    return await _change_comment(request, driver, post, set_reply, text, errors=errors)
