"""The common base of every wire model: frozen, strict about types, tolerant of unknown fields."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

PROTOCOL_VERSION: Literal[1] = 1


class WireModel(BaseModel):
    """Frozen and strict (a wrong type is an error, never coerced); unknown fields are ignored
    so that additive v1 changes from newer senders do not break older receivers.

    Non-finite numbers are refused everywhere (``finite_number``): ``1e999`` is valid JSON that
    Python reads as ``inf``, and no field of the protocol has ever meant infinity or NaN."""

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore", allow_inf_nan=False)
