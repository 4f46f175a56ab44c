"""Login, logout, forgotten password, set password (one-time link) and the account page."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from collector.accounts.context import AccountContext, client_address, get_context
from collector.accounts.csrf import CSRF_COOKIE, token_matches
from collector.accounts.links import peek_link
from collector.accounts.mailer import MailError
from collector.accounts.people import AccountError, authenticate, request_reset, set_password
from collector.accounts.principal import Principal
from collector.accounts.render import field_error, lang_of, page_strings, render
from collector.accounts.resolve import session_principal
from collector.accounts.sessions import SESSION_COOKIE, close_session, open_session
from collector.api.deps import DriverDep
from collector.errors import NotFoundError
from collector.storage import Driver
from collector.web.form_posts import FormText

_LOGGER = logging.getLogger(__name__)
router = APIRouter(tags=["account pages"], include_in_schema=False)
ContextDep = Annotated[AccountContext, Depends(get_context)]


async def page_principal(request: Request, driver: Driver) -> Principal | None:
    """The logged-in person of a page request (cookie only; pages ignore bearer tokens)."""
    return await session_principal(driver, request.cookies.get(SESSION_COOKIE))


def csrf_ok(request: Request, principal: Principal | None, presented: str) -> bool:
    expected = principal.csrf if principal else request.cookies.get(CSRF_COOKIE)
    return token_matches(expected, presented)


def csrf_refusal(
    request: Request,
    template: str,
    *,
    principal: Principal | None = None,
    secure: bool = False,
    **extra: Any,
) -> Response:
    """The page again with the CSRF message, 403: nothing was done."""
    msg = page_strings(lang_of(request))["err_csrf"]
    return render(
        request,
        template,
        principal=principal,
        status=403,
        secure=secure,
        errors={"_form": msg},
        **extra,
    )


def refused(request: Request, template: str, ctx: AccountContext, **extra: Any) -> Response:
    """An anonymous form again with the CSRF message, 403: nothing was done."""
    return csrf_refusal(request, template, secure=ctx.settings.cookie_secure, **extra)


def required_errors(lang: str, **values: str) -> dict[str, str]:
    """The "required" message for each of the form's ``values`` left empty, by field."""
    return {field: field_error(lang, "err_required", field) for field, v in values.items() if not v}


def safe_next(value: str) -> str:
    """Only paths of this site (never //host or a scheme) as the after-login target."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/account"


@router.get("/login")
async def login_form(request: Request, ctx: ContextDep, next: str = "/account") -> Response:
    s = page_strings(lang_of(request))
    message = None
    if "out" in request.query_params:
        message = s["logged_out"]
    elif "set" in request.query_params:
        message = s["set_done"]
    return render(
        request,
        "login.html",
        secure=ctx.settings.cookie_secure,
        next_path=safe_next(next),
        message=message,
    )


@router.post("/login")
async def login(
    *,
    request: Request,
    driver: DriverDep,
    ctx: ContextDep,
    email: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
    next: FormText = "/account",
) -> Response:
    lang = lang_of(request)
    values = {"email": email}
    extra: dict[str, Any] = {"next_path": safe_next(next), "values": values}
    if not csrf_ok(request, None, csrf_token):
        return refused(request, "login.html", ctx, **extra)
    errors = required_errors(lang, email=email, password=password)
    if errors:
        return render(request, "login.html", status=422, errors=errors, **extra)
    outcome = await authenticate(driver, ctx, email, password, client_address(request))
    if outcome.person_id is None:
        s = page_strings(lang)
        if outcome.locked_s:
            msg, status = s["err_locked"].replace("{s}", str(outcome.locked_s)), 429
        else:
            msg, status = s["err_login_failed"], 401
        return render(request, "login.html", status=status, errors={"_form": msg}, **extra)
    token = await open_session(driver, outcome.person_id, ctx.settings.session_ttl_s)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ctx.settings.session_ttl_s,
        httponly=True,
        secure=ctx.settings.cookie_secure,
        samesite="lax",
        path="/",
    )
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(
    request: Request, driver: DriverDep, ctx: ContextDep, csrf_token: FormText = ""
) -> Response:
    principal = await page_principal(request, driver)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if not csrf_ok(request, principal, csrf_token):
        return csrf_refusal(
            request, "account.html", principal=principal, agency_name=None, offices=[]
        )
    await close_session(driver, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login?out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
async def account(request: Request, driver: DriverDep) -> Response:
    principal = await page_principal(request, driver)
    if principal is None:
        return RedirectResponse("/login?next=/account", status_code=303)
    agency = await driver.fetchrow(
        "SELECT name_th, name_en FROM agencies WHERE agency_id = ?", principal.agency_id
    )
    lang = lang_of(request)
    offices = []
    for office_id in sorted(principal.office_ids or ()):
        row = await driver.fetchrow(
            "SELECT office_id, name_th, name_en FROM offices WHERE office_id = ?", office_id
        )
        if row:
            offices.append(row)
    return render(
        request,
        "account.html",
        principal=principal,
        agency_name=agency[f"name_{lang}"] if agency else None,
        offices=offices,
    )


@router.get("/password/forgot")
async def forgot_form(request: Request, ctx: ContextDep) -> Response:
    return render(request, "forgot.html", secure=ctx.settings.cookie_secure)


@router.post("/password/forgot")
async def forgot(
    request: Request,
    driver: DriverDep,
    ctx: ContextDep,
    email: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    lang = lang_of(request)
    s = page_strings(lang)
    values = {"email": email}
    if not csrf_ok(request, None, csrf_token):
        return refused(request, "forgot.html", ctx, values=values)
    errors = required_errors(lang, email=email.strip())
    if errors:
        return render(request, "forgot.html", status=422, errors=errors, values=values)
    if not await ctx.limiter.form_allowed("reset", client_address(request)):
        return render(request, "forgot.html", status=429, errors={"_form": s["err_too_many"]})
    try:
        await request_reset(driver, ctx, email)
    except MailError:
        return render(request, "forgot.html", status=503, errors={"_form": s["err_mail"]})
    return render(request, "forgot.html", message=s["forgot_sent"])


@router.get("/password/set/{token}")
async def set_form(request: Request, driver: DriverDep, ctx: ContextDep, token: str) -> Response:
    ok = await peek_link(driver, token) is not None
    s = page_strings(lang_of(request))
    return render(
        request,
        "set_password.html",
        status=200 if ok else 404,
        secure=ctx.settings.cookie_secure,
        link_ok=ok,
        errors={} if ok else {"_form": s["err_link"]},
    )


@router.post("/password/set/{token}")
async def set_post(
    *,
    request: Request,
    driver: DriverDep,
    ctx: ContextDep,
    token: str,
    password: FormText = "",
    password2: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    lang = lang_of(request)
    if not csrf_ok(request, None, csrf_token):
        return refused(request, "set_password.html", ctx, link_ok=True)
    errors = required_errors(lang, password=password)
    if not errors and password != password2:
        errors["password2"] = field_error(lang, "err_password_mismatch", "password2")
    if not errors:
        try:
            await set_password(driver, token, password)
        except AccountError as exc:
            errors[exc.field] = field_error(lang, exc.key, exc.field)
        except NotFoundError:
            errors["_form"] = page_strings(lang)["err_link"]
            return render(request, "set_password.html", status=404, link_ok=False, errors=errors)
    if errors:
        return render(request, "set_password.html", status=422, link_ok=True, errors=errors)
    return RedirectResponse("/login?set=1", status_code=303)
