"""Storing a citizen's submission, reading its status, and the managers' changes to it.

One transaction per submission: the comment row, its web rating in ``rating_rollups`` (device
``web:<counter>``, so it is never mixed silently with button ratings) and, for a complaint,
its case (``case_seam.open_case``). Spam is stored flagged and hidden, never deleted, and
neither counted nor forwarded. A resubmitted form (same nonce) or the same text from the same
client and counter within the dedupe window returns the first receipt.

The status secret is derived (HMAC of the master secret and the comment id) and only its
SHA-256 is stored, so a resubmission can be answered with the same link while a copy of the
database alone opens no status page.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from collector.audit import Actor, record
from collector.feedback.case_seam import Step, open_case, timeline
from collector.feedback.model import CHANNEL_WEB, WEB_DEVICE_PREFIX, Submission
from collector.feedback.tokens import CounterToken
from collector.storage import Driver, Row, Tx

HOUR_MS = 3_600_000
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
LINKS_SPAM = 3
REFERENCE = re.compile(r"^FB-[2-9A-Z]{4}-[2-9A-Z]{4}$")

_COLUMNS = [
    ("comment_id", "text"),
    ("reference", "text"),
    ("secret_hash", "text"),
    ("form_nonce", "text"),
    ("channel", "text"),
    ("office_id", "text"),
    ("counter_label", "text"),
    ("key_id", "text"),
    ("scale", "integer"),
    ("score", "integer"),
    ("body", "text"),
    ("pii_removed", "integer"),
    ("is_complaint", "integer"),
    ("category", "text"),
    ("contact_offered", "integer"),
    ("lang", "text"),
    ("client_hash", "text"),
    ("content_hash", "text"),
    ("created_ms", "bigint"),
    ("spam", "integer"),
    ("spam_reason", "text"),
    ("hidden", "integer"),
]


@dataclass(frozen=True, slots=True)
class Receipt:
    comment_id: str
    reference: str
    secret: str
    duplicate: bool
    case_id: str | None


def new_reference() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"FB-{chars[:4]}-{chars[4:]}"


def status_secret(master: bytes, comment_id: str) -> str:
    digest = hmac.new(master, b"cf-fb-status|" + comment_id.encode(), hashlib.sha256).digest()
    return digest[:18].hex()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


def client_hash(master: bytes, client: str, day: int) -> str:
    """A per-day pseudonym of the client address: dedupe without keeping the address."""
    msg = f"cf-fb-client|{client}|{day}".encode()
    return hmac.new(master, msg, hashlib.sha256).hexdigest()[:32]


def content_hash(token: CounterToken, sub: Submission) -> str:
    text = f"{token.office_id}|{token.counter_label}|{sub.score}|{sub.is_complaint}|"
    text += f"{sub.category}|{sub.text}"
    return hashlib.sha256(text.encode()).hexdigest()


def spam_reason(sub: Submission) -> str | None:
    if sub.honeypot:
        return "honeypot"
    if len(_URL.findall(sub.text)) >= LINKS_SPAM:
        return "links"
    return None


async def _existing(db: Driver | Tx, where: str, *args: Any) -> Row | None:
    return await db.fetchrow(
        f"SELECT comment_id, reference, case_id FROM feedback_comments WHERE {where}",  # noqa: S608 (callers pass constant SQL)
        *args,
    )


async def _roll_up_web(tx: Tx, token: CounterToken, scale: int, score: int, now_ms: int) -> None:
    await tx.execute(
        "INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, verified, n) "
        "VALUES (?, ?, ?, ?, ?, 0, 1) ON CONFLICT (office_id, device_id, hour_ms, scale, score, "
        "verified) DO UPDATE SET n = rating_rollups.n + excluded.n",
        token.office_id,
        WEB_DEVICE_PREFIX + token.counter_label,
        (now_ms // HOUR_MS) * HOUR_MS,
        scale,
        score,
    )


async def submit(
    driver: Driver,
    *,
    master: bytes,
    token: CounterToken,
    scale: int,
    sub: Submission,
    client: str,
    now_ms: int,
    dedupe_window_s: int,
) -> Receipt:
    chash = client_hash(master, client, now_ms // 86_400_000)
    body_hash = content_hash(token, sub)
    reason = spam_reason(sub)
    for _attempt in range(5):
        comment_id = uuid.uuid4().hex
        async with driver.transaction() as tx:
            if sub.nonce is not None:
                known = await _existing(tx, "form_nonce = ?", sub.nonce)
                if known is not None:
                    return _receipt(master, known, duplicate=True)
            known = await _existing(
                tx,
                "office_id = ? AND counter_label = ? AND client_hash = ? AND content_hash = ? "
                "AND created_ms >= ? ORDER BY created_ms LIMIT 1",
                token.office_id,
                token.counter_label,
                chash,
                body_hash,
                now_ms - dedupe_window_s * 1000,
            )
            if known is not None:
                return _receipt(master, known, duplicate=True)
            reference = new_reference()
            secret = status_secret(master, comment_id)
            inserted = await tx.insert_ignore(
                "feedback_comments",
                _COLUMNS,
                [
                    (
                        comment_id,
                        reference,
                        secret_hash(secret),
                        sub.nonce,
                        CHANNEL_WEB,
                        token.office_id,
                        token.counter_label,
                        token.key_id,
                        scale,
                        sub.score,
                        sub.text,
                        sub.pii_removed,
                        int(sub.is_complaint),
                        sub.category,
                        int(sub.contact is not None),
                        sub.lang,
                        chash,
                        body_hash,
                        now_ms,
                        int(reason is not None),
                        reason,
                        int(reason is not None),
                    )
                ],
            )
            if not inserted:
                continue  # a concurrent twin with the same nonce, or a reference collision
            case_id = None
            if reason is None:
                if sub.score is not None:
                    await _roll_up_web(tx, token, scale, sub.score, now_ms)
                case_id = await open_case(tx, comment_id, token, sub, now_ms)
                if case_id is not None:
                    await tx.execute(
                        "UPDATE feedback_comments SET case_id = ? WHERE comment_id = ?",
                        case_id,
                        comment_id,
                    )
        return Receipt(comment_id, reference, secret, False, case_id)
    raise RuntimeError("could not store the comment (unique keys kept colliding)")


def _receipt(master: bytes, row: Row, *, duplicate: bool) -> Receipt:
    cid = str(row["comment_id"])
    return Receipt(
        cid, str(row["reference"]), status_secret(master, cid), duplicate, row["case_id"]
    )


_PUBLIC = (
    "comment_id, reference, secret_hash, office_id, counter_label, channel, scale, score, body, "
    "pii_removed, is_complaint, category, created_ms, reply_text, reply_ms, case_id"
)


async def status(driver: Driver, reference: str, secret: str) -> dict[str, Any] | None:
    """What the citizen's status page shows, or None (unknown reference or wrong secret)."""
    if not REFERENCE.match(reference) or len(secret) > 128:
        return None
    row = await driver.fetchrow(
        f"SELECT {_PUBLIC} FROM feedback_comments WHERE reference = ?",  # noqa: S608
        reference,
    )
    if row is None or not hmac.compare_digest(row["secret_hash"], secret_hash(secret)):
        return None
    office = await driver.fetchrow(
        "SELECT name_th, name_en FROM offices WHERE office_id = ?", row["office_id"]
    )
    steps = await timeline(driver, row["comment_id"]) if row["case_id"] else []
    out = {k: v for k, v in row.items() if k not in ("secret_hash", "comment_id")}
    out["is_complaint"] = bool(out["is_complaint"])
    out["office_name_th"] = office["name_th"] if office else ""
    out["office_name_en"] = office["name_en"] if office else ""
    out["steps"] = [s.to_json() for s in steps]
    return out


@dataclass(frozen=True, slots=True)
class CommentFilter:
    from_ms: int
    to_ms: int
    category: str | None = None
    status: str | None = None  # a case state, or "none" (no case)
    channel: str | None = None
    hidden: str = "exclude"  # exclude | include | only


_MANAGER = (
    "comment_id, reference, office_id, counter_label, channel, scale, score, body, pii_removed, "
    "is_complaint, category, contact_offered, created_ms, spam, spam_reason, hidden, hidden_by, "
    "hidden_ms, reply_text, reply_by, reply_ms, case_id"
)


def _manager_json(row: Row, steps: list[Step]) -> dict[str, Any]:
    out = dict(row)
    for key in ("is_complaint", "contact_offered", "spam", "hidden"):
        out[key] = bool(out[key])
    out["steps"] = [s.to_json() for s in steps]
    out["case_state"] = steps[-1].state if steps else None
    return out


async def list_comments(
    driver: Driver, office_id: str, f: CommentFilter, limit: int, offset: int
) -> list[dict[str, Any]]:
    where = ["office_id = ?", "created_ms >= ?", "created_ms < ?"]
    args: list[Any] = [office_id, f.from_ms, f.to_ms]
    if f.category is not None:
        where.append("category = ?")
        args.append(f.category)
    if f.channel is not None:
        where.append("channel = ?")
        args.append(f.channel)
    if f.hidden == "exclude":
        where.append("hidden = 0")
    elif f.hidden == "only":
        where.append("hidden = 1")
    if f.status == "none":
        where.append("case_id IS NULL")
    elif f.status is not None:
        where.append("case_id IS NOT NULL")
    sql = f"SELECT {_MANAGER} FROM feedback_comments WHERE {' AND '.join(where)} "  # noqa: S608
    sql += "ORDER BY created_ms DESC, comment_id"
    rows = await driver.fetch(sql, *args)
    out: list[dict[str, Any]] = []
    for row in rows:
        steps = await timeline(driver, row["comment_id"]) if row["case_id"] else []
        if f.status not in (None, "none") and (not steps or steps[-1].state != f.status):
            continue
        out.append(_manager_json(row, steps))
    return out[offset : offset + limit]


async def comment_office(driver: Driver, comment_id: str) -> str | None:
    row = await driver.fetchrow(
        "SELECT office_id FROM feedback_comments WHERE comment_id = ?", comment_id
    )
    return str(row["office_id"]) if row else None


async def one_comment(driver: Driver, comment_id: str) -> dict[str, Any]:
    row = await driver.fetchrow(
        f"SELECT {_MANAGER} FROM feedback_comments WHERE comment_id = ?",  # noqa: S608
        comment_id,
    )
    assert row is not None
    steps = await timeline(driver, comment_id) if row["case_id"] else []
    return _manager_json(row, steps)


async def set_hidden(
    driver: Driver, comment_id: str, hidden: bool, actor: Actor, now_ms: int
) -> None:
    """Hide (as spam) or show again; the row and its history stay."""
    async with driver.transaction() as tx:
        before = await tx.fetchrow(
            "SELECT hidden, spam FROM feedback_comments WHERE comment_id = ?", comment_id
        )
        await tx.execute(
            "UPDATE feedback_comments SET hidden = ?, spam = ?, hidden_by = ?, hidden_ms = ? "
            "WHERE comment_id = ?",
            int(hidden),
            int(hidden),
            actor.id,
            now_ms,
            comment_id,
        )
        await record(
            tx,
            actor,
            "update",
            entity="feedback_comment",
            entity_id=comment_id,
            before=dict(before) if before else None,
            after={"hidden": int(hidden), "spam": int(hidden)},
        )


async def set_reply(driver: Driver, comment_id: str, text: str, actor: Actor, now_ms: int) -> None:
    """The office's reply note, shown on the citizen's status page (empty text removes it)."""
    async with driver.transaction() as tx:
        await tx.execute(
            "UPDATE feedback_comments SET reply_text = ?, reply_by = ?, reply_ms = ? "
            "WHERE comment_id = ?",
            text or None,
            actor.id if text else None,
            now_ms if text else None,
            comment_id,
        )
        await record(
            tx,
            actor,
            "update",
            entity="feedback_comment",
            entity_id=comment_id,
            before=None,
            after={"reply": bool(text)},
        )


async def counter_scale(driver: Driver, office_id: str, counter_label: str) -> int:
    """The counter's rating scale: that of its buttons' latest rating (5 if none yet)."""
    row = await driver.fetchrow(
        "SELECT r.scale FROM rating_rollups r JOIN devices d ON d.device_id = r.device_id "
        "WHERE r.office_id = ? AND d.office_id = ? AND d.counter_label = ? "
        "ORDER BY r.hour_ms DESC LIMIT 1",
        office_id,
        office_id,
        counter_label,
    )
    scale = int(row["scale"]) if row else 5
    return scale if scale in (3, 4, 5) else 5


async def office_counters(driver: Driver, office_id: str) -> list[str]:
    rows = await driver.fetch(
        "SELECT DISTINCT counter_label FROM devices WHERE office_id = ? AND counter_label <> '' "
        "ORDER BY counter_label",
        office_id,
    )
    return [str(r["counter_label"]) for r in rows]
