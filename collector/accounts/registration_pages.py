"""Pages: the public registration form, and ops' list of requests to approve or reject."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from collector.accounts.context import AccountContext, client_address, get_context
from collector.accounts.form_errors import field_errors
from collector.accounts.mailer import MailError
from collector.accounts.pages import csrf_ok, csrf_refusal, page_principal, refused
from collector.accounts.people import AccountError
from collector.accounts.principal import PersonRole
from collector.accounts.registration import (
    PENDING,
    RegistrationIn,
    approve,
    list_registrations,
    reject,
    submit,
)
from collector.accounts.render import field_error, lang_of, page_strings, render
from collector.api.deps import DriverDep
from collector.errors import ConflictError, NotFoundError
from collector.storage import Driver, Row
from collector.web.form_posts import FormText, PublicForm

_LOGGER = logging.getLogger(__name__)
router = APIRouter(tags=["registration pages"], include_in_schema=False)
ContextDep = Annotated[AccountContext, Depends(get_context)]


class RegistrationForm(PublicForm):
    """The registration form's fields, as posted (checked by ``RegistrationIn``)."""

    agency_id: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""


async def _agencies(driver: Driver) -> list[Row]:
    """Agencies in tree order (ministry, its departments, their units), with their depth."""
    rows = await driver.fetch("SELECT agency_id, parent_id, level, name_th, name_en FROM agencies")
    children: dict[str | None, list[Row]] = {}
    for r in rows:
        children.setdefault(r["parent_id"], []).append(r)
    ordered: list[Row] = []

    def walk(parent: str | None, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda x: x["agency_id"]):
            ordered.append({**r, "depth": depth})
            walk(r["agency_id"], depth + 1)

    walk(None, 0)
    return ordered


@router.get("/register")
async def register_form(request: Request, driver: DriverDep, ctx: ContextDep) -> Response:
    return render(
        request,
        "register.html",
        secure=ctx.settings.cookie_secure,
        agencies=await _agencies(driver),
    )


@router.post("/register")
async def register(
    request: Request,
    driver: DriverDep,
    ctx: ContextDep,
    form: Annotated[RegistrationForm, Form()],
) -> Response:
    lang = lang_of(request)
    s = page_strings(lang)
    values = form.values(honeypot=False)
    page: dict[str, Any] = {"agencies": await _agencies(driver), "values": values}
    if not csrf_ok(request, None, form.csrf_token):
        return refused(request, "register.html", ctx, **page)
    if not await ctx.limiter.form_allowed("register", client_address(request)):
        return render(
            request, "register.html", status=429, errors={"_form": s["err_too_many"]}, **page
        )
    try:
        body = RegistrationIn(**values, website=form.website)
        await submit(driver, body)
    except ValidationError as exc:
        return render(request, "register.html", status=422, errors=field_errors(exc, lang), **page)
    except AccountError as exc:
        errors = {exc.field: field_error(lang, exc.key, exc.field)}
        return render(request, "register.html", status=422, errors=errors, **page)
    except ConflictError:
        errors = {"email": field_error(lang, "err_email_taken", "email")}
        return render(request, "register.html", status=409, errors=errors, **page)
    return render(request, "register.html", message=s["register_done"], done=True, **page)


@router.get("/ops/registrations")
async def ops_registrations(request: Request, driver: DriverDep) -> Response:
    principal = await page_principal(request, driver)
    if principal is None:
        return RedirectResponse("/login?next=/ops/registrations", status_code=303)
    if principal.role is not PersonRole.OPS:
        return render(request, "not_found.html", principal=principal, status=404)
    s = page_strings(lang_of(request))
    message = (
        s.get(f"reg_{request.query_params.get('done', '')}")
        if "done" in request.query_params
        else None
    )
    return render(
        request,
        "ops_registrations.html",
        principal=principal,
        message=message,
        registrations=await list_registrations(driver, PENDING),
        agencies={a["agency_id"]: a for a in await _agencies(driver)},
    )


async def _apply(
    driver: Driver,
    ctx: AccountContext,
    registration_id: str,
    decision: str,
    *,
    by: str,
    reason: str,
) -> tuple[int, str] | None:
    """Carry out a decision; (status, error key) when it cannot be, else None."""
    try:
        if decision == "approve":
            await approve(driver, ctx, registration_id, by)
        elif decision == "reject":
            if not reason.strip():
                return 422, "err_required"
            await reject(driver, ctx, registration_id, by, reason.strip())
        else:
            return 404, "not_found"
    except NotFoundError:
        return 404, "not_found"
    except ConflictError:
        return 409, "conflict"
    except MailError:
        return 503, "err_mail"
    return None


@router.post("/ops/registrations/{registration_id}/{decision}")
async def decide(
    *,
    request: Request,
    driver: DriverDep,
    ctx: ContextDep,
    registration_id: str,
    decision: str,
    csrf_token: FormText = "",
    reason: FormText = "",
) -> Response:
    principal = await page_principal(request, driver)
    if principal is None or principal.role is not PersonRole.OPS:
        return render(request, "not_found.html", principal=principal, status=404)
    lang = lang_of(request)
    s = page_strings(lang)
    page: dict[str, Any] = {
        "registrations": await list_registrations(driver, PENDING),
        "agencies": {a["agency_id"]: a for a in await _agencies(driver)},
    }
    if not csrf_ok(request, principal, csrf_token):
        return csrf_refusal(request, "ops_registrations.html", principal=principal, **page)
    problem = await _apply(
        driver, ctx, registration_id, decision, by=principal.person_id or "", reason=reason
    )
    if problem is None:
        return RedirectResponse(f"/ops/registrations?done={decision}", status_code=303)
    status, key = problem
    if status == 404:
        return render(request, "not_found.html", principal=principal, status=404)
    if status == 409:
        return RedirectResponse("/ops/registrations", status_code=303)
    errors = (
        {f"reason-{registration_id}": field_error(lang, key, "reason")}
        if key == "err_required"
        else {"_form": s[key]}
    )
    return render(
        request, "ops_registrations.html", principal=principal, status=status, errors=errors, **page
    )
