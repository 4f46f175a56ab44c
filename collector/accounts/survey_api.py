"""Survey API: per office (ops, its agency admin, its managers), completion for ops."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path

from collector.accounts.completion import completion
from collector.accounts.context import AccountContext, get_context
from collector.accounts.guards import CallerDep, allow, office_in_scope
from collector.accounts.principal import PersonRole, Principal
from collector.accounts.survey import (
    DRAFT,
    SUBMITTED,
    SurveyAnswers,
    incomplete,
    save_version,
    survey_of,
    version_of,
)
from collector.api.deps import DriverDep, get_principal
from collector.storage import Driver

router = APIRouter(
    prefix="/api/v1",
    tags=["survey"],
    # Every API route resolves the caller: a dead token is 401, a cookie write needs CSRF.
    dependencies=[Depends(get_principal)],
)
OfficePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
ContextDep = Annotated[AccountContext, Depends(get_context)]
SURVEY_ROLES = (PersonRole.OPS, PersonRole.AGENCY_ADMIN, PersonRole.MANAGER)


async def _office(driver: Driver, principal: Principal, office_id: str) -> None:
    allow(principal, *SURVEY_ROLES)
    await office_in_scope(driver, principal, office_id)


def _author(principal: Principal) -> str:
    return principal.person_id or f"token:{principal.id}"


@router.get("/offices/{office_id}/survey", summary="The office's survey: latest and history")
async def get_survey(driver: DriverDep, principal: CallerDep, office_id: OfficePath) -> Any:
    await _office(driver, principal, office_id)
    return await survey_of(driver, office_id)


@router.get(
    "/offices/{office_id}/survey/versions/{version}", summary="One saved version of the survey"
)
async def get_version(
    driver: DriverDep,
    principal: CallerDep,
    office_id: OfficePath,
    version: Annotated[int, Path(ge=1)],
) -> Any:
    await _office(driver, principal, office_id)
    found = await version_of(driver, office_id, version)
    if found is None:
        raise HTTPException(404, f"version: no version {version}")
    return found


@router.put("/offices/{office_id}/survey/draft", summary="Save a draft (a new version)")
async def save_draft(
    driver: DriverDep, principal: CallerDep, office_id: OfficePath, answers: SurveyAnswers
) -> dict[str, Any]:
    await _office(driver, principal, office_id)
    version = await save_version(driver, office_id, DRAFT, answers, _author(principal))
    return {"office_id": office_id, "version": version, "status": DRAFT}


@router.post(
    "/offices/{office_id}/survey/submit", status_code=201, summary="Submit (complete answers)"
)
async def submit_survey(
    driver: DriverDep, principal: CallerDep, office_id: OfficePath, answers: SurveyAnswers
) -> dict[str, Any]:
    await _office(driver, principal, office_id)
    missing = incomplete(answers)
    if missing is not None:
        raise HTTPException(422, f"{missing[0]}: {missing[1]}")
    version = await save_version(driver, office_id, SUBMITTED, answers, _author(principal))
    return {"office_id": office_id, "version": version, "status": SUBMITTED}


@router.get("/surveys/completion", summary="Pinned and surveyed offices per province and agency")
async def survey_completion(driver: DriverDep, ctx: ContextDep, principal: CallerDep) -> Any:
    allow(principal, PersonRole.OPS)
    deadline = (
        date.fromisoformat(ctx.settings.survey_deadline) if ctx.settings.survey_deadline else None
    )
    return await completion(driver, deadline)
