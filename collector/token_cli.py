"""``python -m collector token create|list|revoke``: API tokens from the collector host.

``create`` prints the token once (only its hash is stored); ``list`` shows ids, never tokens;
``revoke`` takes an id from ``list``. Creation and revocation go to the audit log (actor ``cli``).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from collector.audit import CLI_ACTOR, record
from collector.config import Settings
from collector.errors import ConfigError
from collector.storage import Driver, open_driver
from collector.tokens import (
    Role,
    Scope,
    TokenInfo,
    create_token,
    list_tokens,
    revoke_token,
    token_id_of,
)

DAY_MS = 86_400_000


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = sub.add_parser("token", help="API tokens: create, list, revoke")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token and print it once")
    create.add_argument("--role", choices=[r.value for r in Role], required=True)
    create.add_argument("--name", default="cli", help="who or what the token is for")
    life = create.add_mutually_exclusive_group()
    life.add_argument(
        "--expires-days", type=float, help="lifetime in days (default: CF_TOKEN_TTL_DAYS)"
    )
    life.add_argument("--no-expiry", action="store_true", help="never expires (revoke it)")
    create.add_argument(
        "--office", action="append", default=[], help="technician: only this office (repeatable)"
    )
    create.add_argument(
        "--province", action="append", default=[], help="technician: offices of this province"
    )
    listing = token_sub.add_parser("list", help="list tokens (ids, never the tokens)")
    listing.add_argument("--all", action="store_true", help="include revoked and expired ones")
    revoke = token_sub.add_parser("revoke", help="revoke a token by its id (from token list)")
    revoke.add_argument("token_id")


def _iso(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%MZ")


def _expiry(args: argparse.Namespace, settings: Settings) -> int | None:
    days = args.expires_days if args.expires_days is not None else settings.token_ttl_days
    if args.no_expiry or days == 0:
        return None
    if days < 0:
        raise ConfigError("--expires-days: must be positive")
    return int(time.time() * 1000 + days * DAY_MS)


def _table(infos: list[TokenInfo]) -> str:
    now = int(time.time() * 1000)
    lines = [
        f"{'id':<12}  {'role':<10}  {'state':<7}  {'created':<17}  {'expires':<17}  "
        f"{'last used':<17}  scope / name"
    ]
    for i in infos:
        lines.append(
            f"{i.token_id:<12}  {i.role.value:<10}  {i.state(now):<7}  {_iso(i.created_ms):<17}  "
            f"{_iso(i.expires_ms):<17}  {_iso(i.last_used_ms):<17}  "
            f"{i.scope.describe()} / {i.name}"
        )
    return "\n".join(lines)


async def _create(driver: Driver, args: argparse.Namespace, settings: Settings) -> str:
    scope = Scope(frozenset(args.office), frozenset(args.province))
    expires = _expiry(args, settings)
    token = await create_token(driver, Role(args.role), args.name, expires_ms=expires, scope=scope)
    after = {
        "role": args.role,
        "name": args.name,
        "expires": _iso(expires),
        "scope": scope.to_json(),
    }
    async with driver.transaction() as tx:
        await record(
            tx,
            CLI_ACTOR,
            "create",
            entity="token",
            entity_id=token_id_of(token),
            before=None,
            after=after,
        )
    return token


async def run(args: argparse.Namespace, settings: Settings) -> str:
    """Runs one token command; returns what to print."""
    driver = await open_driver(settings)
    try:
        command = args.token_command
        if command == "create":
            return await _create(driver, args, settings)
        if command == "list":
            return _table(await list_tokens(driver, include_inactive=args.all))
        info = await revoke_token(driver, args.token_id)
        async with driver.transaction() as tx:
            await record(
                tx,
                CLI_ACTOR,
                "delete",
                entity="token",
                entity_id=info.token_id,
                before={"role": info.role.value, "name": info.name},
                after=None,
            )
        return f"revoked {info.token_id} ({info.role.value}, {info.name})"
    finally:
        await driver.close()
