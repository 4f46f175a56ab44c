"""The audit log: who changed which registry record when, with the record before and after.

Every write goes through :func:`record` inside the transaction that makes the change, so the
log and the registry never disagree. The actor is a token (its id and name, never the token)
or, later, a person's account; ``cli`` marks changes made on the collector host.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from collector.sql_conditions import given_conditions
from collector.storage import Driver, Tx


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: ``id`` is a token id (or an account id), ``name`` its label, ``role`` its role."""

    id: str
    name: str
    role: str


CLI_ACTOR = Actor("cli", "python -m collector", "ops")


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


async def record(
    tx: Tx,
    actor: Actor,
    action: str,
    *,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """One audit row: ``action`` is create, update or delete; ``entity`` office, device, pin,
    token."""
    await tx.execute(
        "INSERT INTO audit_log (at_ms, actor_id, actor_name, actor_role, action, entity, "
        "entity_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        int(time.time() * 1000),
        actor.id,
        actor.name,
        actor.role,
        action,
        entity,
        entity_id,
        _json(before),
        _json(after),
    )


async def entries(
    driver: Driver,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Audit rows, newest first, optionally of one entity kind and/or one record."""
    where, args = given_conditions(("entity = ?", entity), ("entity_id = ?", entity_id))
    sql = f"SELECT * FROM audit_log WHERE 1 = 1{where} ORDER BY id DESC LIMIT ? OFFSET ?"  # noqa: S608
    rows = await driver.fetch(sql, *args, limit, offset)
    return [
        {
            "id": int(r["id"]),
            "at_ms": int(r["at_ms"]),
            "actor": {"id": r["actor_id"], "name": r["actor_name"], "role": r["actor_role"]},
            "action": r["action"],
            "entity": r["entity"],
            "entity_id": r["entity_id"],
            "before": json.loads(r["before"]) if r["before"] else None,
            "after": json.loads(r["after"]) if r["after"] else None,
        }
        for r in rows
    ]
