"""Write a validated :class:`Catalogue` in one transaction (all or nothing), upserting by id."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from collector.services.model import WEEKDAYS, Catalogue, Hours, Service, parse_span
from collector.services.reader import ImportProblemsError
from collector.storage import Driver, Tx


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    services_created: int = 0
    services_updated: int = 0
    offerings: int = 0
    office_hours: int = 0
    dry_run: bool = False

    def line(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb}: {self.services_created} new and {self.services_updated} updated services, "
            f"{self.offerings} offerings, hours of {self.office_hours} offices"
        )


class _DryRunError(Exception):
    """Raised inside the transaction to roll a dry run back after every check and write."""


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _check_references(tx: Tx, catalogue: Catalogue) -> None:
    problems: list[str] = []
    offices = {o.office_id for o in catalogue.offerings} | {
        h.office_id for h in catalogue.office_hours
    }
    known: set[str] = set()
    if offices:
        marks = ", ".join("?" for _ in offices)
        rows = await tx.fetch(
            f"SELECT office_id FROM offices WHERE office_id IN ({marks})",  # noqa: S608
            *sorted(offices),
        )
        known = {r["office_id"] for r in rows}
    in_file = {s.service_id for s in catalogue.services}
    wanted = {o.service_id for o in catalogue.offerings} - in_file
    stored: dict[str, int] = {}
    if wanted:
        marks = ", ".join("?" for _ in wanted)
        rows = await tx.fetch(
            "SELECT s.service_id, (SELECT count(*) FROM service_documents d "  # noqa: S608
            f"WHERE d.service_id = s.service_id) AS docs FROM services s "
            f"WHERE s.service_id IN ({marks})",
            *sorted(wanted),
        )
        stored = {r["service_id"]: int(r["docs"]) for r in rows}
    for i, h in enumerate(catalogue.office_hours):
        if h.office_id not in known:
            problems.append(
                f"office_hours[{i}].office_id: office {h.office_id!r} is not registered"
            )
    for i, o in enumerate(catalogue.offerings):
        if o.office_id not in known:
            problems.append(f"offerings[{i}].office_id: office {o.office_id!r} is not registered")
        if o.service_id not in in_file and o.service_id not in stored:
            problems.append(f"offerings[{i}].service_id: unknown service {o.service_id!r}")
        elif o.service_id in stored and any(n > stored[o.service_id] for n in o.copies_demanded):
            problems.append(
                f"offerings[{i}].copies_demanded: service {o.service_id} has only "
                f"{stored[o.service_id]} documents"
            )
    if problems:
        raise ImportProblemsError(problems)


async def _write_service(tx: Tx, s: Service, now: int) -> bool:
    existed = await tx.fetchrow(
        "SELECT service_id FROM services WHERE service_id = ?", s.service_id
    )
    values = (
        s.name_th,
        s.name_en,
        s.agency_th,
        s.agency_en,
        s.legal_basis,
        s.conditions,
        json.dumps([st.model_dump() for st in s.steps], ensure_ascii=False),
        s.duration,
        s.duration_minutes,
        s.fee_thb,
        s.fee_text,
        json.dumps(s.forms, ensure_ascii=False),
        json.dumps(s.complaint_channels, ensure_ascii=False),
        json.dumps(s.source, ensure_ascii=False),
        s.notes,
    )
    if existed:
        await tx.execute(
            "UPDATE services SET name_th = ?, name_en = ?, agency_th = ?, agency_en = ?, "
            "legal_basis = ?, conditions = ?, steps = ?, duration = ?, duration_minutes = ?, "
            "fee_thb = ?, fee_text = ?, forms = ?, complaint_channels = ?, sources = ?, "
            "notes = ?, updated_ms = ? WHERE service_id = ?",
            *values,
            now,
            s.service_id,
        )
        await tx.execute("DELETE FROM service_documents WHERE service_id = ?", s.service_id)
    else:
        await tx.execute(
            "INSERT INTO services (name_th, name_en, agency_th, agency_en, legal_basis, "
            "conditions, steps, duration, duration_minutes, fee_thb, fee_text, forms, "
            "complaint_channels, sources, notes, created_ms, updated_ms, service_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            *values,
            now,
            now,
            s.service_id,
        )
    await tx.executemany(
        "INSERT INTO service_documents (service_id, position, name_th, name_en, issuer, "
        "originals, copies, copy_required, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                s.service_id,
                n,
                d.name_th,
                d.name_en,
                d.issuer,
                d.originals,
                d.copies,
                None if d.copy_required is None else int(d.copy_required),
                d.notes,
            )
            for n, d in enumerate(s.documents, 1)
        ],
    )
    return existed is None


async def _write_hours(tx: Tx, office_id: str, service_id: str, hours: Hours) -> None:
    await tx.execute(
        "DELETE FROM office_hours WHERE office_id = ? AND service_id = ?", office_id, service_id
    )
    rows = []
    for day, spans in hours.items():
        for span in spans:
            opens, closes = parse_span(span)
            rows.append((office_id, service_id, WEEKDAYS.index(day), opens, closes))
    await tx.executemany(
        "INSERT INTO office_hours (office_id, service_id, weekday, opens_min, closes_min) "
        "VALUES (?, ?, ?, ?, ?)",
        rows,
    )


async def import_catalogue(
    driver: Driver, catalogue: Catalogue, *, dry_run: bool = False
) -> ImportReport:
    """Upsert everything of ``catalogue`` or nothing; raise :class:`ImportProblemsError`."""
    report = ImportReport(dry_run=dry_run)
    now = _now_ms()
    try:
        async with driver.transaction() as tx:
            await _check_references(tx, catalogue)
            for service in catalogue.services:
                if await _write_service(tx, service, now):
                    report.services_created += 1
                else:
                    report.services_updated += 1
            for h in catalogue.office_hours:
                await _write_hours(tx, h.office_id, "", h.hours)
                report.office_hours += 1
            for o in catalogue.offerings:
                await tx.execute(
                    "INSERT INTO office_services (office_id, service_id, counters, "
                    "copies_demanded, copies_made_free, updated_ms) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (office_id, service_id) DO UPDATE SET counters = "
                    "excluded.counters, copies_demanded = excluded.copies_demanded, "
                    "copies_made_free = excluded.copies_made_free, "
                    "updated_ms = excluded.updated_ms",
                    o.office_id,
                    o.service_id,
                    json.dumps(o.counters, ensure_ascii=False),
                    json.dumps(sorted(set(o.copies_demanded))),
                    None if o.copies_made_free is None else int(o.copies_made_free),
                    now,
                )
                await _write_hours(tx, o.office_id, o.service_id, o.hours or {})
                report.offerings += 1
            if dry_run:
                raise _DryRunError
    except _DryRunError:
        pass
    return report
