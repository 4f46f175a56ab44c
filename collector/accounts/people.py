"""People: creation (with a set-password link by email), login, passwords via one-time links."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from collector.accounts.context import AccountContext
from collector.accounts.links import PURPOSE_RESET, PURPOSE_SET, create_link, peek_link, use_link
from collector.accounts.passwords import (
    hash_password,
    needs_rehash,
    policy_problem,
    verify_password,
)
from collector.accounts.principal import PersonRole, agency_subtree
from collector.accounts.sessions import now_ms
from collector.accounts.throttle import record_failure, record_success
from collector.errors import ConflictError, NotFoundError
from collector.storage import Driver, Tx

_LOGGER = logging.getLogger(__name__)

EMAIL_PATTERN = r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$"
PHONE_PATTERN = r"^\+?[0-9 -]{6,20}$"
Name = Annotated[str, Field(min_length=1, max_length=100)]


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=254)]
    first_name: Name
    last_name: Name
    phone: Annotated[str, Field(pattern=PHONE_PATTERN)] | None = None
    role: PersonRole
    agency_id: str | None = None
    office_ids: list[str] = Field(default_factory=list, max_length=500)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class AccountError(ValueError):
    """A request the account rules refuse; ``key`` is the i18n key, ``field`` the form field."""

    def __init__(self, field: str, key: str) -> None:
        super().__init__(f"{field}: {key}")
        self.field = field
        self.key = key


async def check_person(driver: Driver, person: PersonIn) -> None:
    """Agency and offices consistent with the role (raises AccountError naming the field)."""
    if person.role in (PersonRole.AGENCY_ADMIN, PersonRole.MANAGER):
        if not person.agency_id or not await driver.fetchrow(
            "SELECT agency_id FROM agencies WHERE agency_id = ?", person.agency_id
        ):
            raise AccountError("agency_id", "err_agency_unknown")
    elif person.agency_id is not None:
        raise AccountError("agency_id", "err_agency_not_for_role")
    if person.role is not PersonRole.MANAGER:
        if person.office_ids:
            raise AccountError("office_ids", "err_offices_not_for_role")
        return
    scope = await agency_subtree(driver, person.agency_id)
    for office_id in person.office_ids:
        row = await driver.fetchrow("SELECT agency_id FROM offices WHERE office_id = ?", office_id)
        if row is None or row["agency_id"] not in scope:
            raise AccountError("office_ids", "err_office_not_in_agency")


async def insert_person(tx: Tx, person: PersonIn) -> str:
    if await tx.fetchrow("SELECT person_id FROM people WHERE email = ?", person.email):
        raise ConflictError("email: a person with this email already exists")
    person_id = uuid.uuid4().hex
    now = now_ms()
    await tx.execute(
        "INSERT INTO people (person_id, email, first_name, last_name, phone, role, agency_id, "
        "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        person_id,
        person.email,
        person.first_name,
        person.last_name,
        person.phone or "",
        person.role.value,
        person.agency_id,
        now,
        now,
    )
    await tx.executemany(
        "INSERT INTO person_offices (person_id, office_id) VALUES (?, ?)",
        [(person_id, o) for o in sorted(set(person.office_ids))],
    )
    return person_id


def link_email(ctx: AccountContext, token: str, first_name: str) -> tuple[str, str]:
    url = f"{ctx.settings.public_url}/password/set/{token}"
    hours = max(1, ctx.settings.link_ttl_s // 3600)
    subject = "ตั้งรหัสผ่าน / Set your password - Citizen Feedback"
    body = (
        f"เรียน คุณ{first_name}\n\nตั้งรหัสผ่านได้ที่ลิงก์นี้ (ใช้ได้ครั้งเดียว ภายใน {hours} ชั่วโมง):\n"
        f"{url}\n\nDear {first_name},\n\nSet your password with this link "
        f"(one use, valid {hours} h):\n{url}\n\nIf you did not ask for this, ignore this email.\n"
    )
    return subject, body


async def create_person(driver: Driver, ctx: AccountContext, person: PersonIn) -> str:
    """Store a person and email a set-password link; nothing is stored if the email fails."""
    await check_person(driver, person)
    async with driver.transaction() as tx:
        person_id = await insert_person(tx, person)
        token = await create_link(tx, person_id, PURPOSE_SET, ctx.settings.link_ttl_s)
        await ctx.mailer.send(person.email, *link_email(ctx, token, person.first_name))
    _LOGGER.info("person created: id=%s role=%s", person_id, person.role.value)
    return person_id


@dataclass(frozen=True)
class LoginOutcome:
    person_id: str | None = None
    locked_s: int = 0  # > 0: the account (or this client) must wait this long


async def authenticate(
    driver: Driver, ctx: AccountContext, email: str, password: str, client: str
) -> LoginOutcome:
    """Check a login; failures count per account (database) and per client (limiter)."""
    if await ctx.limiter.login_blocked(client):
        return LoginOutcome(locked_s=60)
    person = await driver.fetchrow(
        "SELECT person_id, password_hash, active, locked_until_ms FROM people WHERE email = ?",
        email.strip().lower(),
    )
    now = now_ms()
    if person is not None and person["locked_until_ms"] > now:
        await ctx.limiter.login_failed(client)
        return LoginOutcome(locked_s=max(1, (person["locked_until_ms"] - now + 999) // 1000))
    good = verify_password(person["password_hash"] if person else None, password)
    if person is None or not good or not person["active"]:
        await ctx.limiter.login_failed(client)
        if person is not None:
            async with driver.transaction() as tx:
                locked = await record_failure(tx, person["person_id"], ctx.settings)
            _LOGGER.info("login failed: person=%s locked_ms=%s", person["person_id"], locked)
            if locked:
                return LoginOutcome(locked_s=locked // 1000)
        return LoginOutcome()
    async with driver.transaction() as tx:
        await record_success(tx, person["person_id"])
        if needs_rehash(person["password_hash"]):
            await tx.execute(
                "UPDATE people SET password_hash = ? WHERE person_id = ?",
                hash_password(password),
                person["person_id"],
            )
    return LoginOutcome(person_id=person["person_id"])


async def request_reset(driver: Driver, ctx: AccountContext, email: str) -> None:
    """Email a reset link when ``email`` belongs to an active person; silent otherwise."""
    person = await driver.fetchrow(
        "SELECT person_id, first_name, email, active FROM people WHERE email = ?",
        email.strip().lower(),
    )
    if person is None or not person["active"]:
        return
    async with driver.transaction() as tx:
        token = await create_link(tx, person["person_id"], PURPOSE_RESET, ctx.settings.link_ttl_s)
        await ctx.mailer.send(person["email"], *link_email(ctx, token, person["first_name"]))


async def link_person(driver: Driver, token: str) -> str:
    person_id = await peek_link(driver, token)
    if person_id is None:
        raise NotFoundError("token: this link is unknown, used or expired")
    return person_id


async def set_password(driver: Driver, token: str, password: str) -> str:
    """Use a one-time link to set a password; ends every session of that person."""
    person_id = await link_person(driver, token)
    email = await driver.fetchval("SELECT email FROM people WHERE person_id = ?", person_id)
    problem = policy_problem(password, str(email))
    if problem:
        raise AccountError("password", problem)
    hashed = hash_password(password)
    async with driver.transaction() as tx:
        if await use_link(tx, token) != person_id:
            raise NotFoundError("token: this link is unknown, used or expired")
        await tx.execute(
            "UPDATE people SET password_hash = ?, failed_logins = 0, locked_until_ms = 0, "
            "updated_ms = ? WHERE person_id = ?",
            hashed,
            now_ms(),
            person_id,
        )
        await tx.execute(
            "UPDATE sessions SET revoked_ms = ? WHERE person_id = ? AND revoked_ms IS NULL",
            now_ms(),
            person_id,
        )
    _LOGGER.info("password set: person=%s", person_id)
    return person_id
