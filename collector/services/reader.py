"""Read an import file (JSON or CSV, one schema) into a :class:`Catalogue`, or every problem.

Each problem is one line naming its place: ``services[3].documents[0].copies: ...`` for JSON,
``line 5, column fee_thb: ...`` for CSV. Nothing is returned half-read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from collector.services.model import Catalogue, Offering, OfficeHours, Service

MAX_BYTES = 20_000_000
CSV_LIST_COLUMNS = ("steps", "documents", "forms", "complaint_channels", "source")
CSV_NUMBER_COLUMNS = ("fee_thb", "duration_minutes")

M = TypeVar("M", bound=BaseModel)


class ImportProblemsError(Exception):
    """The file cannot be imported; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _loc(prefix: str, loc: tuple[Any, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _validate(model: type[M], raw: Any, where: str, problems: list[str]) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{_loc(where, err['loc'])}: {msg}")
        return None


def _items(
    raws: Any, name: str, model: type[M], problems: list[str], where: Callable[[int], str]
) -> list[M]:
    if not isinstance(raws, list):
        problems.append(f"{name}: must be a list")
        return []
    out = []
    for i, raw in enumerate(raws):
        item = _validate(model, raw, where(i), problems)
        if item is not None:
            out.append(item)
    return out


def _check_duplicates(catalogue: Catalogue, places: list[str], problems: list[str]) -> None:
    seen: dict[str, str] = {}
    for service, place in zip(catalogue.services, places, strict=True):
        if service.service_id in seen:
            problems.append(
                f"{place}.service_id: duplicate id {service.service_id!r} "
                f"(first at {seen[service.service_id]})"
            )
        seen.setdefault(service.service_id, place)
    pairs: set[tuple[str, str]] = set()
    for i, o in enumerate(catalogue.offerings):
        if (o.office_id, o.service_id) in pairs:
            problems.append(f"offerings[{i}]: duplicate office_id/service_id pair")
        pairs.add((o.office_id, o.service_id))
    hours_seen: set[str] = set()
    for i, h in enumerate(catalogue.office_hours):
        if h.office_id in hours_seen:
            problems.append(f"office_hours[{i}].office_id: duplicate office {h.office_id!r}")
        hours_seen.add(h.office_id)


def _from_json(text: str, problems: list[str]) -> tuple[Catalogue, list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})")
        return Catalogue(), []
    if isinstance(data, list):
        data = {"services": data}
    if not isinstance(data, dict):
        problems.append("top level: must be a list of services or an object")
        return Catalogue(), []
    unknown = sorted(set(data) - {"services", "office_hours", "offerings"})
    for key in unknown:
        problems.append(f"{key}: unknown section (services, office_hours, offerings)")
    places: list[str] = []
    services: list[Service] = []
    raws = data.get("services", [])
    if isinstance(raws, list):
        for i, raw in enumerate(raws):
            item = _validate(Service, raw, f"services[{i}]", problems)
            if item is not None:
                services.append(item)
                places.append(f"services[{i}]")
    else:
        problems.append("services: must be a list")
    hours = _items(
        data.get("office_hours", []),
        "office_hours",
        OfficeHours,
        problems,
        lambda i: f"office_hours[{i}]",
    )
    offerings = _items(
        data.get("offerings", []), "offerings", Offering, problems, lambda i: f"offerings[{i}]"
    )
    return Catalogue(services=services, office_hours=hours, offerings=offerings), places


def _csv_cell(column: str, value: str) -> Any:
    if value.strip() == "":
        return None
    if column in CSV_LIST_COLUMNS:
        return json.loads(value)
    if column in CSV_NUMBER_COLUMNS:
        return float(value) if column == "fee_thb" else int(value)
    if column == "duration":
        return value
    return value


def _from_csv(text: str, problems: list[str]) -> tuple[Catalogue, list[str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    known = set(Service.model_fields)
    for column in reader.fieldnames or []:
        if column not in known:
            problems.append(f"line 1, column {column}: unknown column")
    if "service_id" not in (reader.fieldnames or []):
        problems.append("line 1: a service_id column is required")
        return Catalogue(), []
    services: list[Service] = []
    places: list[str] = []
    for row in reader:
        line = reader.line_num
        raw: dict[str, Any] = {}
        bad = False
        for column, value in row.items():
            if column is None or column not in known:
                if column is None:
                    problems.append(f"line {line}: more cells than columns")
                    bad = True
                continue
            try:
                cell = _csv_cell(column, value or "")
            except ValueError as exc:
                problems.append(f"line {line}, column {column}: {exc}")
                bad = True
                continue
            if cell is not None:
                raw[column] = cell
        if bad:
            continue
        item = _validate(Service, raw, f"line {line}, column ", problems)
        if item is not None:
            services.append(item)
            places.append(f"line {line}")
    problems[:] = [p.replace("column .", "column ") for p in problems]
    return Catalogue(services=services), places


def read_catalogue(data: bytes, filename: str) -> Catalogue:
    """Parse ``data`` (``.csv`` by name, JSON otherwise); raise :class:`ImportProblemsError`."""
    if len(data) > MAX_BYTES:
        raise ImportProblemsError([f"file: larger than {MAX_BYTES} bytes"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblemsError(
            [f"byte {exc.start}: not UTF-8 (0x{data[exc.start]:02x}); save the file as UTF-8"]
        ) from exc
    problems: list[str] = []
    if filename.lower().endswith(".csv"):
        catalogue, places = _from_csv(text, problems)
    else:
        catalogue, places = _from_json(text, problems)
    if not problems:
        _check_duplicates(catalogue, places, problems)
        documents = {s.service_id: len(s.documents) for s in catalogue.services}
        for i, o in enumerate(catalogue.offerings):
            count = documents.get(o.service_id)
            for n in o.copies_demanded:
                if count is not None and n > count:
                    problems.append(
                        f"offerings[{i}].copies_demanded: document {n} does not exist "
                        f"(service {o.service_id} has {count})"
                    )
    if problems:
        raise ImportProblemsError(problems)
    return catalogue
