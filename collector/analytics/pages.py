"""The managers' analytics page: filters, heat-map, ranking (formula shown), trend, distribution.

Server-rendered tables (screen readers read them as they are), cells coloured by mean with the
number written in them; suppressed cells say so. Same scope and filters as the JSON API; each
table links to its CSV and XLSX export.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from collector.accounts.pages import page_principal
from collector.accounts.principal import PersonRole
from collector.accounts.render import render
from collector.analytics.filters import date_range
from collector.analytics.reports import FORMULA, distribution, heatmap, ranking, rollup_rows, trend
from collector.api.deps import DriverDep

router = APIRouter(tags=["analytics pages"], include_in_schema=False)
ROLES = (PersonRole.OPS, PersonRole.AGENCY_ADMIN, PersonRole.MANAGER)


def band(mean: float | None) -> str:
    """A colour band for a 1..5 mean (the number is always printed too)."""
    if mean is None:
        return "none"
    return "low" if mean < 2.5 else "mid" if mean < 3.75 else "high"


@router.get("/analytics")
async def analytics_page(request: Request, driver: DriverDep) -> Response:
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
    try:
        period = date_range(q.get("from") or None, q.get("to") or None)
    except HTTPException as exc:
        detail = str(exc.detail)
        errors[detail.split(":", 1)[0]] = detail
        period = date_range(None, None)
    ctx = request.app.state.accounts
    k = ctx.settings.k_anonymity
    names = {o: r["name_th"] for o, r in visible.items()}
    chosen = [office_id] if office_id else list(visible)
    data = await rollup_rows(driver, chosen, period)
    everything = await rollup_rows(driver, visible, period)
    query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if office_id:
        query["office_id"] = office_id
    cells = heatmap(data, k)
    return render(
        request,
        "analytics.html",
        principal=principal,
        status=422 if errors else 200,
        errors=errors,
        offices=sorted(visible.values(), key=lambda r: r["office_id"]),
        office_id=office_id,
        period=period,
        k=k,
        grid=[cells[d * 24 : (d + 1) * 24] for d in range(7)],
        band=band,
        ranking=ranking(everything, names, k, ctx.settings.ranking_prior_weight),
        formula=FORMULA,
        trend=trend(data, "week", k),
        distribution=distribution(data, k),
        export_query=urlencode(query),
    )
