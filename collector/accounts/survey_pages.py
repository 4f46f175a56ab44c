"""The survey form page per office: save a draft or submit; history below; scope as the API."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from collector.accounts.form_errors import field_errors
from collector.accounts.pages import csrf_ok, csrf_refusal, page_principal
from collector.accounts.principal import PersonRole, Principal
from collector.accounts.render import field_error, lang_of, page_strings, render
from collector.accounts.survey import (
    DRAFT,
    SUBMITTED,
    ChannelKind,
    DeviceKind,
    Overhaul,
    SurveyAnswers,
    incomplete,
    save_version,
    survey_of,
)
from collector.api.deps import DriverDep
from collector.storage import Driver, Row

router = APIRouter(tags=["survey pages"], include_in_schema=False)
OfficePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
SYSTEM_ROWS = 3
CHANNELS: tuple[str, ...] = get_args(ChannelKind)
DEVICES: tuple[str, ...] = get_args(DeviceKind)
OVERHAUL: tuple[str, ...] = get_args(Overhaul)
ROLES = (PersonRole.OPS, PersonRole.AGENCY_ADMIN, PersonRole.MANAGER)


async def _office(driver: Driver, principal: Principal | None, office_id: str) -> Row | None:
    if principal is None or principal.role not in ROLES:
        return None
    row = await driver.fetchrow("SELECT * FROM offices WHERE office_id = ?", office_id)
    if row is None or not principal.sees_office(office_id, row["agency_id"]):
        return None
    return row


def _form_values(answers: dict[str, Any]) -> dict[str, str]:
    """Stored answers → the flat names of the form's inputs."""
    values: dict[str, str] = {}
    for n, system in enumerate(answers.get("systems", [])[:SYSTEM_ROWS]):
        values[f"system_name_{n}"] = system["name"]
        values[f"system_vendor_{n}"] = system["vendor"]
        values[f"system_device_{n}"] = system["device_kind"]
    for channel in answers.get("channels", []):
        values[f"channel_{channel['kind']}"] = "on"
        values[f"channel_{channel['kind']}_details"] = channel["details"]
    for name in ("service_points", "counters_per_point", "overhaul", "overhaul_reason"):
        if answers.get(name) is not None:
            values[name] = str(answers[name])
    return values


def _parse(form: FormData, lang: str) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(answers for the model, raw values to show again, errors by input name)."""
    raw = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    systems = []
    for n in range(SYSTEM_ROWS):
        name = raw.get(f"system_name_{n}", "").strip()
        vendor = raw.get(f"system_vendor_{n}", "").strip()
        device = raw.get(f"system_device_{n}", "")
        if not name and not vendor:
            continue
        if not name:
            errors[f"system_name_{n}"] = field_error(lang, "err_required", "system_name")
        if device not in DEVICES:
            errors[f"system_device_{n}"] = field_error(lang, "err_required", "system_device")
        systems.append({"name": name or "?", "vendor": vendor, "device_kind": device or "other"})
    channels = [
        {"kind": kind, "details": raw.get(f"channel_{kind}_details", "").strip()}
        for kind in CHANNELS
        if raw.get(f"channel_{kind}")
    ]
    answers: dict[str, Any] = {
        "systems": systems,
        "channels": channels,
        "overhaul_reason": raw.get("overhaul_reason", "").strip(),
    }
    for name in ("service_points", "counters_per_point"):
        text = raw.get(name, "").strip()
        if text:
            if text.isdigit():
                answers[name] = int(text)
            else:
                errors[name] = field_error(lang, "err_number", name)
    if raw.get("overhaul") in OVERHAUL:
        answers["overhaul"] = raw["overhaul"]
    return answers, raw, errors


def _submission_error(answers: SurveyAnswers, lang: str) -> dict[str, str]:
    missing = incomplete(answers)
    if missing is None:
        return {}
    field = missing[0]
    if field == "channels":
        return {"channels": field_error(lang, "err_channels_required", "channels")}
    if field.startswith("channels."):
        return {"channel_other_details": field_error(lang, "err_other_details", "channel_details")}
    return {field: field_error(lang, "err_required", field)}


def _page(office: Row, survey: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    return {
        "office": office,
        "survey": survey,
        "values": values,
        "channels": CHANNELS,
        "devices": DEVICES,
        "overhaul_choices": OVERHAUL,
        "system_rows": SYSTEM_ROWS,
    }


@router.get("/offices/{office_id}/survey")
async def survey_page(request: Request, driver: DriverDep, office_id: OfficePath) -> Response:
    principal = await page_principal(request, driver)
    if principal is None:
        return RedirectResponse(f"/login?next=/offices/{office_id}/survey", status_code=303)
    office = await _office(driver, principal, office_id)
    if office is None:
        return render(request, "not_found.html", principal=principal, status=404)
    survey = await survey_of(driver, office_id)
    latest = survey["latest"]["answers"] if survey["latest"] else {}
    s = page_strings(lang_of(request))
    saved = request.query_params.get("saved")
    message = None
    if saved in (DRAFT, SUBMITTED):
        message = s[f"survey_saved_{saved}"].replace("{v}", request.query_params.get("v", ""))
    return render(
        request,
        "survey.html",
        principal=principal,
        message=message,
        **_page(office, survey, _form_values(latest)),
    )


@router.post("/offices/{office_id}/survey")
async def survey_post(request: Request, driver: DriverDep, office_id: OfficePath) -> Response:
    principal = await page_principal(request, driver)
    office = await _office(driver, principal, office_id)
    if principal is None or office is None:
        return render(request, "not_found.html", principal=principal, status=404)
    lang = lang_of(request)
    form = await request.form()
    answers_in, raw, errors = _parse(form, lang)
    survey = await survey_of(driver, office_id)
    if not csrf_ok(request, principal, str(form.get("csrf_token", ""))):
        page = _page(office, survey, raw)
        return csrf_refusal(request, "survey.html", principal=principal, **page)
    status = SUBMITTED if form.get("action") == "submit" else DRAFT
    answers: SurveyAnswers | None = None
    if not errors:
        try:
            answers = SurveyAnswers(**answers_in)
        except ValidationError as exc:
            errors = field_errors(exc, lang)
    if answers is not None and status == SUBMITTED:
        errors = _submission_error(answers, lang)
    if errors or answers is None:
        return render(
            request,
            "survey.html",
            principal=principal,
            status=422,
            errors=errors,
            **_page(office, survey, raw),
        )
    author = principal.person_id or principal.actor.id
    version = await save_version(driver, office_id, status, answers, author)
    return RedirectResponse(
        f"/offices/{office_id}/survey?saved={status}&v={version}", status_code=303
    )
