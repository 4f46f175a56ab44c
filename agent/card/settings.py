"""The ``[card]`` section of the agent's config file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from agent.config_model import Section, setting


class CardSettings(Section):
    """How the counter reads the national ID card (Zero Copy)."""

    backend: Literal["pcsc", "simulated", "none"] = setting(
        default="pcsc",
        description="pcsc: a real (or vpcd) reader; simulated: demo; none: no reader",
    )
    reader: str | None = setting(
        default=None, description="PC/SC reader name, or a part of it; empty means the first reader"
    )
    day_keys_path: Path = setting(
        default=Path("/var/lib/citizen-feedback/day-keys.json"),
        description="day-key file (mode 0600, owned by the service user), from enrolment",
    )
    check_key_file_owner: bool = setting(
        default=True,
        description="refuse a day-key file readable by others or owned by another user",
    )
    demographics: bool = setting(
        default=False, description="also read birth date and sex to publish age_band and sex"
    )
    settle_delay_s: float = setting(
        default=0.3,
        ge=0,
        le=5,
        description="wait after insertion before connecting (reader settles)",
    )
    read_timeout_s: float = setting(
        default=5.0,
        gt=0,
        le=60,
        description="a read taking longer than this is reported as mute_card",
    )
    reader_absent_fault_s: float = setting(
        default=15.0,
        gt=0,
        le=3600,
        description="no reader for this long: fault reader_not_enumerated or reader_absent",
    )
