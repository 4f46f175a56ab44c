"""The catalogue's one schema (JSON and CSV imports, the API): validated pydantic models.

A service carries the fields of a Thai citizen manual (คู่มือสำหรับประชาชน, Licensing Facilitation
Act B.E. 2558). Unknown fields are refused so that a typo does not silently drop data.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from protocols.identifiers import ID_PATTERN

Identifier = Annotated[str, Field(pattern=ID_PATTERN, description="matches " + ID_PATTERN)]
ShortText = Annotated[str, Field(max_length=300)]
LongText = Annotated[str, Field(max_length=4000)]
Url = Annotated[str, Field(pattern=r"^https?://\S{1,2000}$", max_length=2000)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Step(_Strict):
    """One step of the procedure: what happens, how long it takes, which unit does it."""

    text_th: Annotated[str, Field(min_length=1, max_length=1000)]
    text_en: Annotated[str, Field(max_length=1000)] = ""
    duration: ShortText = ""
    unit: ShortText = ""


class Document(_Strict):
    """A document the citizen brings; ``copies`` is how many photocopies the manual demands.

    ``copy_required`` is tri-state: ``None`` when the source does not say.
    """

    name_th: Annotated[str, Field(min_length=1, max_length=300)]
    name_en: ShortText = ""
    issuer: ShortText = ""
    originals: Annotated[int, Field(ge=0, le=20)] | None = None
    copies: Annotated[int, Field(ge=0, le=20)] | None = None
    copy_required: bool | None = None
    notes: LongText = ""

    @model_validator(mode="after")
    def _copies_agree(self) -> Document:
        if self.copies is not None:
            if self.copy_required is not None and self.copy_required != (self.copies > 0):
                raise ValueError("copies and copy_required disagree")
            self.copy_required = self.copies > 0
        return self


class Service(_Strict):
    service_id: Identifier
    name_th: Annotated[str, Field(min_length=1, max_length=300)]
    name_en: Annotated[str, Field(min_length=1, max_length=300)]
    agency_th: ShortText = ""
    agency_en: ShortText = ""
    legal_basis: LongText = ""
    conditions: LongText = ""
    steps: Annotated[list[Step], Field(max_length=50)] = []
    duration: ShortText | None = None
    duration_minutes: Annotated[int, Field(ge=0, le=525_600)] | None = None
    fee_thb: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    fee_text: ShortText = ""
    documents: Annotated[list[Document], Field(max_length=50)] = []
    forms: Annotated[list[ShortText], Field(max_length=50)] = []
    complaint_channels: Annotated[list[ShortText], Field(max_length=20)] = []
    source: Annotated[list[Url], Field(max_length=20)] = []
    notes: LongText = ""

    @field_validator("steps", mode="before")
    @classmethod
    def _plain_steps(cls, value: Any) -> Any:
        """A step may be a plain string (the Thai text with an English gloss)."""
        if isinstance(value, list):
            return [{"text_th": s} if isinstance(s, str) else s for s in value]
        return value


Hours = dict[str, list[str]]


def parse_span(span: str) -> tuple[int, int]:
    """``"08:30-16:30"`` to minutes ``(510, 990)``; a close before the open runs past midnight."""
    m = _SPAN.match(span)
    if not m:
        raise ValueError(f"{span!r} is not HH:MM-HH:MM")
    opens = int(m.group(1)) * 60 + int(m.group(2))
    closes = int(m.group(3)) * 60 + int(m.group(4))
    if closes > 1440 or opens == closes:
        raise ValueError(f"{span!r} is an empty or impossible span")
    return opens, closes


def _check_hours(value: Hours) -> Hours:
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise ValueError(f"{day!r} is not one of {', '.join(WEEKDAYS)}")
        if len(spans) > 6:
            raise ValueError(f"{day}: at most 6 spans")
        for span in spans:
            parse_span(span)
    return value


class OfficeHours(_Strict):
    """An office's opening hours per weekday (office-local time, Asia/Bangkok)."""

    office_id: Identifier
    hours: Hours

    _hours = field_validator("hours")(_check_hours)


class Offering(_Strict):
    """An office offers a service: at which counters, on which hours, which copies it still asks.

    ``copies_demanded`` lists the service's documents (1-based positions) of which this office
    still asks the citizen a photocopy; ``copies_made_free``: the office makes any copy it wants
    itself, free of charge (Head of NCPO order 21/2560, clause 17).
    """

    office_id: Identifier
    service_id: Identifier
    counters: Annotated[list[ShortText], Field(max_length=50)] = []
    hours: Hours | None = None
    copies_demanded: Annotated[list[Annotated[int, Field(ge=1, le=50)]], Field(max_length=50)] = []
    copies_made_free: bool | None = None

    _hours = field_validator("hours")(lambda v: None if v is None else _check_hours(v))


class Catalogue(_Strict):
    """One import file: services, office hours and offerings (each list optional)."""

    services: Annotated[list[Service], Field(max_length=20_000)] = []
    office_hours: Annotated[list[OfficeHours], Field(max_length=100_000)] = []
    offerings: Annotated[list[Offering], Field(max_length=200_000)] = []
