"""The government service-point survey per office: drafts and submissions, never overwritten.

Every save (draft or submission) is a new row in ``survey_versions`` with the next version
number; history is those rows. A draft may be incomplete; a submission must answer everything
(errors name the field). The latest submission is the office's answer.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from collector.accounts.sessions import now_ms
from collector.errors import ConflictError
from collector.storage import Driver, Row

DRAFT, SUBMITTED = "draft", "submitted"
Text = Annotated[str, Field(max_length=500)]
DeviceKind = Literal["desktop", "laptop", "tablet", "smartphone", "kiosk", "server", "other"]
ChannelKind = Literal["counter", "website", "kiosk", "mobile_app", "line", "other"]
Overhaul = Literal["done", "within_6_months", "over_6_months", "none", "not_sure"]


class InformationSystem(BaseModel):
    """A system used to serve citizens: its name, vendor or brand, and the kind of device."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str, Field(min_length=1, max_length=200)]
    vendor: Annotated[str, Field(max_length=200)] = ""
    device_kind: DeviceKind


class ServiceChannel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: ChannelKind
    details: Text = ""


class SurveyAnswers(BaseModel):
    """The form's answers; everything optional in a draft."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    systems: Annotated[list[InformationSystem], Field(max_length=50)] = Field(default_factory=list)
    channels: Annotated[list[ServiceChannel], Field(max_length=20)] = Field(default_factory=list)
    service_points: Annotated[int, Field(ge=0, le=10000)] | None = None
    counters_per_point: Annotated[int, Field(ge=0, le=1000)] | None = None
    overhaul: Overhaul | None = None
    overhaul_reason: Text = ""


def incomplete(answers: SurveyAnswers) -> tuple[str, str] | None:
    """(field, what is missing) when the answers cannot be submitted yet, else None."""
    if not answers.channels:
        return "channels", "at least one service channel is required"
    for n, channel in enumerate(answers.channels):
        if channel.kind == "other" and not channel.details:
            return f"channels.{n}.details", "say which channel 'other' is"
    for name in ("service_points", "counters_per_point", "overhaul"):
        if getattr(answers, name) is None:
            return name, "required"
    if answers.overhaul == "not_sure" and not answers.overhaul_reason:
        return "overhaul_reason", "required when the plan is 'not sure'"
    return None


async def save_version(
    driver: Driver, office_id: str, status: str, answers: SurveyAnswers, author: str
) -> int:
    """Append a version (draft or submitted); returns its number."""
    payload = json.dumps(answers.model_dump(), ensure_ascii=False, sort_keys=True)
    for _attempt in range(3):  # two savers racing for the same number: the loser retries
        async with driver.transaction() as tx:
            last = await tx.fetchrow(
                "SELECT max(version) AS v FROM survey_versions WHERE office_id = ?", office_id
            )
            version = int(last["v"] or 0) + 1 if last else 1
            inserted = await tx.insert_ignore(
                "survey_versions",
                [
                    ("office_id", "text"),
                    ("version", "integer"),
                    ("status", "text"),
                    ("answers", "text"),
                    ("author", "text"),
                    ("created_ms", "bigint"),
                ],
                [(office_id, version, status, payload, author, now_ms())],
            )
            if inserted == 1:
                return version
    raise ConflictError("version: saved concurrently too often; try again")


def _version_json(row: Row) -> dict[str, Any]:
    return {
        "version": row["version"],
        "status": row["status"],
        "author": row["author"],
        "created_ms": row["created_ms"],
        "answers": json.loads(row["answers"]),
    }


async def survey_of(driver: Driver, office_id: str) -> dict[str, Any]:
    rows = await driver.fetch(
        "SELECT * FROM survey_versions WHERE office_id = ? ORDER BY version", office_id
    )
    versions = [_version_json(r) for r in rows]
    submitted = [v for v in versions if v["status"] == SUBMITTED]
    return {
        "office_id": office_id,
        "latest": versions[-1] if versions else None,
        "latest_submission": submitted[-1] if submitted else None,
        "history": [
            {k: v[k] for k in ("version", "status", "author", "created_ms")} for v in versions
        ],
    }


async def version_of(driver: Driver, office_id: str, version: int) -> dict[str, Any] | None:
    row = await driver.fetchrow(
        "SELECT * FROM survey_versions WHERE office_id = ? AND version = ?", office_id, version
    )
    return _version_json(row) if row else None
