"""Full-text search over service and office names, Thai without word spaces, English too.

SQLite: the FTS5 table ``catalogue_fts`` (trigram tokenizer) ranked by bm25; terms shorter than
three characters (which trigrams cannot index) are matched as plain substrings. PostgreSQL:
``LIKE`` on lower-cased text served by ``pg_trgm`` GIN indexes, ranked by trigram similarity.
Any query is answered: it is cut to :data:`MAX_QUERY` characters, split on white space, and only
ever passed as bound parameters (LIKE metacharacters escaped, FTS5 terms quoted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from collector.storage import Driver

MAX_QUERY = 100
MAX_TERMS = 8
KINDS = ("service", "office")
_EXPR = {
    "service": ("services", "service_id", "lower(name_th || ' ' || name_en || ' ' || agency_th)"),
    "office": ("offices", "office_id", "lower(name_th || ' ' || name_en || ' ' || agency)"),
}


def terms_of(query: str) -> list[str]:
    """Lower-cased terms of a query; control characters become spaces."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in query[:MAX_QUERY])
    return [t for t in cleaned.lower().split() if t][:MAX_TERMS]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def _sqlite(
    driver: Driver, terms: list[str], kinds: Sequence[str], limit: int, offset: int
) -> list[dict[str, Any]]:
    long_terms = [t for t in terms if len(t) >= 3]
    where = [f"kind IN ({', '.join('?' for _ in kinds)})"]
    args: list[Any] = list(kinds)
    if long_terms:
        where.append("catalogue_fts MATCH ?")
        args.append(" ".join('"' + t.replace('"', '""') + '"' for t in long_terms))
    for term in terms:
        if len(term) < 3:
            where.append("instr(lower(body), ?) > 0")
            args.append(term)
    rank = "bm25(catalogue_fts)" if long_terms else "length(body)"
    rows = await driver.fetch(
        f"SELECT kind, ref, {rank} AS rank FROM catalogue_fts "  # noqa: S608
        f"WHERE {' AND '.join(where)} ORDER BY rank, ref LIMIT ? OFFSET ?",
        *args,
        limit,
        offset,
    )
    return [{"kind": r["kind"], "id": r["ref"], "score": -float(r["rank"])} for r in rows]


async def _postgres(
    driver: Driver, terms: list[str], kinds: Sequence[str], limit: int, offset: int
) -> list[dict[str, Any]]:
    whole = " ".join(terms)
    parts: list[str] = []
    args: list[Any] = []
    for kind in kinds:
        table, key, expr = _EXPR[kind]
        likes = " AND ".join(f"{expr} LIKE ? ESCAPE '\\'" for _ in terms)
        parts.append(
            f"SELECT '{kind}' AS kind, {key} AS ref, similarity({expr}, ?) AS score "  # noqa: S608
            f"FROM {table} WHERE {likes}"
        )
        args.extend([whole, *(_like(t) for t in terms)])
    rows = await driver.fetch(
        f"SELECT kind, ref, score FROM ({' UNION ALL '.join(parts)}) AS hits "  # noqa: S608
        "ORDER BY score DESC, ref LIMIT ? OFFSET ?",
        *args,
        limit,
        offset,
    )
    return [{"kind": r["kind"], "id": r["ref"], "score": float(r["score"])} for r in rows]


async def _names(driver: Driver, hits: list[dict[str, Any]]) -> None:
    for kind in KINDS:
        ids = [h["id"] for h in hits if h["kind"] == kind]
        if not ids:
            continue
        table, key, _ = _EXPR[kind]
        marks = ", ".join("?" for _ in ids)
        rows = await driver.fetch(
            f"SELECT {key} AS ref, name_th, name_en FROM {table} "  # noqa: S608
            f"WHERE {key} IN ({marks})",
            *ids,
        )
        names = {r["ref"]: r for r in rows}
        for h in hits:
            if h["kind"] == kind and h["id"] in names:
                h["name_th"] = names[h["id"]]["name_th"]
                h["name_en"] = names[h["id"]]["name_en"]


async def search(
    driver: Driver,
    query: str,
    *,
    kinds: Sequence[str] = KINDS,
    limit: int = 20,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Ranked hits ``{kind, id, name_th, name_en, score}``; an empty query finds nothing."""
    terms = terms_of(query)
    kinds = [k for k in KINDS if k in kinds]
    if not terms or not kinds:
        return []
    find = _postgres if driver.dialect == "postgres" else _sqlite
    hits = await find(driver, terms, kinds, limit, offset)
    await _names(driver, hits)
    return hits
