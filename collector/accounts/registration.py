"""Agency registration, as in the programme's manual: a public request, ops approve or reject.

Approval creates the registrant as ``agency_admin`` of the chosen agency and emails a one-time
set-password link, all in one transaction (if the email cannot be sent nothing changes).
The public form is rate limited per client address and carries a honeypot field that people
never see; a filled honeypot is accepted silently and stored nowhere.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from collector.accounts.context import AccountContext
from collector.accounts.links import PURPOSE_SET, create_link
from collector.accounts.people import (
    EMAIL_PATTERN,
    PHONE_PATTERN,
    AccountError,
    Name,
    PersonIn,
    insert_person,
    link_email,
)
from collector.accounts.principal import PersonRole
from collector.accounts.sessions import now_ms
from collector.errors import ConflictError, NotFoundError
from collector.storage import Driver, Row

_LOGGER = logging.getLogger(__name__)
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    agency_id: Annotated[str, Field(min_length=1, max_length=64)]
    first_name: Name
    last_name: Name
    email: Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=254)]
    phone: Annotated[str, Field(pattern=PHONE_PATTERN)]
    website: Annotated[str, Field(max_length=500)] = Field(
        "", description="honeypot: people leave it empty (hidden on the page)"
    )


async def submit(driver: Driver, reg: RegistrationIn) -> str | None:
    """Store a pending request; None when the honeypot was filled (nothing stored)."""
    if reg.website:
        _LOGGER.info("registration dropped: honeypot filled")
        return None
    if not await driver.fetchrow(
        "SELECT 1 AS one FROM agencies WHERE agency_id = ?", reg.agency_id
    ):
        raise AccountError("agency_id", "err_agency_unknown")
    email = reg.email.lower()
    registration_id = uuid.uuid4().hex
    async with driver.transaction() as tx:
        if await tx.fetchrow("SELECT 1 AS one FROM people WHERE email = ?", email) or (
            await tx.fetchrow(
                "SELECT 1 AS one FROM registrations WHERE email = ? AND status = ?", email, PENDING
            )
        ):
            raise ConflictError("email: this email is already registered")
        await tx.execute(
            "INSERT INTO registrations (registration_id, agency_id, first_name, last_name, email, "
            "phone, status, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            registration_id,
            reg.agency_id,
            reg.first_name,
            reg.last_name,
            email,
            reg.phone,
            PENDING,
            now_ms(),
        )
    _LOGGER.info("registration received: id=%s agency=%s", registration_id, reg.agency_id)
    return registration_id


async def list_registrations(driver: Driver, status: str | None) -> list[Row]:
    sql = "SELECT * FROM registrations"
    args: list[str] = []
    if status:
        sql += " WHERE status = ?"
        args.append(status)
    return await driver.fetch(sql + " ORDER BY created_ms, registration_id", *args)


async def _pending(driver: Driver, registration_id: str) -> Row:
    row = await driver.fetchrow(
        "SELECT * FROM registrations WHERE registration_id = ?", registration_id
    )
    if row is None:
        raise NotFoundError(f"registration_id: no registration {registration_id}")
    if row["status"] != PENDING:
        raise ConflictError(f"registration_id: already {row['status']}")
    return row


async def approve(
    driver: Driver, ctx: AccountContext, registration_id: str, decided_by: str
) -> str:
    """Create the agency admin and email the set-password link; returns the person id."""
    reg = await _pending(driver, registration_id)
    person = PersonIn(
        email=reg["email"],
        first_name=reg["first_name"],
        last_name=reg["last_name"],
        phone=reg["phone"],
        role=PersonRole.AGENCY_ADMIN,
        agency_id=reg["agency_id"],
    )
    async with driver.transaction() as tx:
        changed = await tx.execute(
            "UPDATE registrations SET status = ?, decided_ms = ?, decided_by = ? "
            "WHERE registration_id = ? AND status = ?",
            APPROVED,
            now_ms(),
            decided_by,
            registration_id,
            PENDING,
        )
        if changed != 1:
            raise ConflictError("registration_id: decided meanwhile")
        person_id = await insert_person(tx, person)
        await tx.execute(
            "UPDATE registrations SET person_id = ? WHERE registration_id = ?",
            person_id,
            registration_id,
        )
        token = await create_link(tx, person_id, PURPOSE_SET, ctx.settings.link_ttl_s)
        await ctx.mailer.send(person.email, *link_email(ctx, token, person.first_name))
    _LOGGER.info("registration approved: id=%s person=%s", registration_id, person_id)
    return person_id


async def reject(
    driver: Driver, ctx: AccountContext, registration_id: str, decided_by: str, reason: str
) -> None:
    """Mark rejected and tell the registrant (with the reason) by email."""
    reg = await _pending(driver, registration_id)
    async with driver.transaction() as tx:
        changed = await tx.execute(
            "UPDATE registrations SET status = ?, decided_ms = ?, decided_by = ?, reason = ? "
            "WHERE registration_id = ? AND status = ?",
            REJECTED,
            now_ms(),
            decided_by,
            reason,
            registration_id,
            PENDING,
        )
        if changed != 1:
            raise ConflictError("registration_id: decided meanwhile")
        await ctx.mailer.send(
            reg["email"],
            "ผลการลงทะเบียน / Registration - Citizen Feedback",
            f"เรียน คุณ{reg['first_name']}\n\nคำขอลงทะเบียนไม่ได้รับการอนุมัติ: {reason}\n\n"
            f"Dear {reg['first_name']},\n\nYour registration was not approved: {reason}\n",
        )
    _LOGGER.info("registration rejected: id=%s", registration_id)
