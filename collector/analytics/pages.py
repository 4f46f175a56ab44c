"""The managers' analytics page: filters, heat-map, ranking (formula shown), trend, distribution.

Server-rendered tables (screen readers read them as they are), cells coloured by mean with the
number written in them; suppressed cells say so. Same scope and filters as the JSON API; each
table links to its CSV and XLSX export. Charts (vendored Chart.js, ``js/analytics_charts.js``)
are drawn from the tables' own cells, so a chart never shows what its table hides. With an
office chosen: services, zero copy per week, and the office's alert settings form.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from collector.accounts.form_errors import field_errors
from collector.accounts.pages import csrf_ok, page_principal
from collector.accounts.principal import PersonRole
from collector.accounts.render import lang_of, page_strings, render
from collector.analytics.filters import page_date_range
from collector.analytics.reports import (
    FORMULA,
    day_rows,
    distribution,
    heatmap,
    heatmap_rows,
    office_rows,
    ranking,
    score_rows,
    trend,
)
from collector.api.deps import DriverDep
from collector.managers.alert_settings import read_settings, write_settings
from collector.managers.alerts_report import alert_list
from collector.managers.breakdown import breakdown
from collector.managers.breakdown import rollup_rows as breakdown_rows
from collector.managers.page_data import SETTINGS_FIELDS, office_detail, settings_from_form
from collector.storage import Driver

router = APIRouter(tags=["analytics pages"], include_in_schema=False)
ROLES = (PersonRole.OPS, PersonRole.AGENCY_ADMIN, PersonRole.MANAGER)


def band(mean: float | None) -> str:
    """A colour band for a 1..5 mean (the number is always printed too)."""
    if mean is None:
        return "none"
    return "low" if mean < 2.5 else "mid" if mean < 3.75 else "high"


@router.get("/analytics")
async def analytics_page(request: Request, driver: DriverDep) -> Response:
    return await _page(request, driver)


async def _page(
    request: Request,
    driver: Driver,
    *,
    form_errors: dict[str, str] | None = None,
    form_values: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    principal = await page_principal(request, driver)
    if principal is None:
        return RedirectResponse("/login?next=/analytics", status_code=303)
    if principal.role not in ROLES:
        return render(request, "not_found.html", principal=principal, status=404)
    q = request.query_params
    rows = await driver.fetch("SELECT office_id, agency_id, name_th, name_en FROM offices")
    visible = {
        r["office_id"]: r for r in rows if principal.sees_office(r["office_id"], r["agency_id"])
    }
    office_id = q.get("office_id") or None
    if office_id is not None and office_id not in visible:
        return render(request, "not_found.html", principal=principal, status=404)
    errors: dict[str, str] = {}
    period = page_date_range(q, errors)
    ctx = request.app.state.accounts
    k = ctx.settings.k_anonymity
    names = {o: r["name_th"] for o, r in visible.items()}
    chosen = [office_id] if office_id else list(visible)
    everything = await office_rows(driver, visible, period)
    query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if office_id:
        query["office_id"] = office_id
    cells = heatmap(await heatmap_rows(driver, chosen, period), k)
    office_view = await office_detail(driver, office_id, period, k) if office_id else None
    by_device = await breakdown_rows(driver, chosen, period)
    return render(
        request,
        "analytics.html",
        principal=principal,
        status=422 if errors else status,
        errors=errors,
        form_errors=form_errors or {},
        values=form_values or {},
        message=message,
        offices=sorted(visible.values(), key=lambda r: r["office_id"]),
        office_id=office_id,
        period=period,
        k=k,
        grid=[cells[d * 24 : (d + 1) * 24] for d in range(7)],
        band=band,
        ranking=ranking(everything, names, k, ctx.settings.ranking_prior_weight),
        formula=FORMULA,
        trend=trend(await day_rows(driver, chosen, period), "week", k),
        distribution=distribution(await score_rows(driver, chosen, period), k),
        channels=breakdown(by_device, "channel", k),
        counters=breakdown(by_device, "counter", k),
        detail=office_view,
        alerts=await alert_list(driver, chosen, period, k, limit=20),
        export_query=urlencode(query),
    )


@router.post("/analytics/alert-settings")
async def alert_settings_post(request: Request, driver: DriverDep) -> Response:
    """The office's alert settings from the page's form (CSRF checked; errors name the field)."""
    principal = await page_principal(request, driver)
    office_id = request.query_params.get("office_id") or ""
    if principal is None or principal.role not in ROLES:
        return render(request, "not_found.html", principal=principal, status=404)
    office = await driver.fetchrow("SELECT agency_id FROM offices WHERE office_id = ?", office_id)
    if office is None or not principal.sees_office(office_id, office["agency_id"]):
        return render(request, "not_found.html", principal=principal, status=404)
    lang = lang_of(request)
    form = await request.form()
    raw = {key: str(form.get(key, "")).strip() for key in SETTINGS_FIELDS}
    if not csrf_ok(request, principal, str(form.get("csrf_token", ""))):
        errors = {"_form": page_strings(lang)["err_csrf"]}
        return await _page(request, driver, form_errors=errors, form_values=raw, status=403)
    stored = await read_settings(driver, office_id)
    try:
        body = settings_from_form(raw, form.get("enabled") is not None, stored)
    except ValidationError as exc:
        errors = field_errors(exc, lang)
        return await _page(request, driver, form_errors=errors, form_values=raw, status=422)
    await write_settings(driver, office_id, body, principal.actor.id)
    saved = page_strings(lang)["mg_saved"]
    return await _page(request, driver, message=saved)
