"""A counter with the officer view switched on, on the real card path (virtual card -> vpcd ->
pcscd -> PcscCardSource) and a private broker; the synthetic canary citizen it is tested with."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from gpiozero.pins.mock import MockFactory

from agent.card.pcsc_reader import PcscCardSource
from agent.card.settings import CardSettings
from agent.clock import SystemClock
from agent.config import AgentConfig
from agent.officer_view.service import OfficerView
from agent.runtime import Agent
from simulator.card.synthetic_person import SyntheticPerson
from tests.agent.agent_rig import config_data
from tests.agent.card.conftest import day_keys_for
from tests.fixtures.pcsc import Pcscd
from tests.fixtures.ports import free_port

# The canary: made up, checksum-valid, province code 99 (no such province).
CANARY_ID = "1999955501235"
CANARY_SURNAME = "ศรีสุขใจดีเลิศ"
CANARY_ROAD = "ถนนนกแก้วเหลืองทอง"
CANARY = SyntheticPerson(
    citizen_id=CANARY_ID,
    name_th=("นางสาว", "น้ำผึ้ง", "", CANARY_SURNAME),
    name_en=("Miss", "Namphueng", "", "Srisukjaideelert"),
    birth_date="25310229",
    sex="2",
    issue_date="25660310",
    expiry_date="25750309",
    # A long TIS-620 address: all 8 fields, past the 100 bytes most readers cut at.
    address=(
        "1234/567#หมู่ที่ 12#ตรอกบ้านทดสอบ#ซอยทดสอบสมมุติ 4#"
        f"{CANARY_ROAD}#ตำบลทดสอบใต้#อำเภอเมืองทดสอบ#จังหวัดทดสอบ"
    ),
    photo="silhouette",
)
SERVICES = [
    {"id": "new-card", "name_th": "ขอมีบัตรใหม่", "name_en": "New ID card"},
    {"id": "house-move", "name_th": "แจ้งย้ายที่อยู่", "name_en": "Change of address"},
]


def officer_settings(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "port": free_port(),
        "credentials_path": str(tmp_path / "state" / "officer-pcs.json"),
        "office_name_th": "ที่ว่าการอำเภอเมืองทดสอบ",
        "office_name_en": "Mueang Thodsob District Office",
        "services": SERVICES,
        **extra,
    }


class OfficerCounter:
    """Agent + officer view + real PC/SC source; ``client`` talks to the kiosk listener."""

    def __init__(self, tmp_path: Path, broker_url: str, pcscd: Pcscd, **officer: Any) -> None:
        data = config_data(tmp_path, broker_url)
        data["officer_view"] = officer_settings(tmp_path, **officer)
        self.config = AgentConfig(**data)
        self.view = OfficerView(self.config.officer_view)
        self.source = PcscCardSource(
            CardSettings(reader=pcscd.reader_name(0), settle_delay_s=0.05),
            day_keys=day_keys_for(),
            poll_interval_s=0.2,
            details=self.view.card,
            details_photo=self.config.officer_view.photo,
        )
        self.agent = Agent(
            self.config,
            card_source=self.source,
            pin_factory=MockFactory(),
            clock=SystemClock(),
            officer_view=self.view,
        )
        self.base = f"http://127.0.0.1:{self.config.officer_view.port}"
        self.client = httpx.Client(base_url=self.base, timeout=10)

    def __enter__(self) -> OfficerCounter:
        self.agent.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.client.close()
        self.agent.stop()

    def card(self) -> dict[str, Any]:
        answer = self.client.get("/api/card")
        answer.raise_for_status()
        data: dict[str, Any] = answer.json()
        return data

    def wait_state(self, state: str, timeout_s: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            data = self.card()
            if data["state"] == state:
                return data
            if time.monotonic() > deadline:
                raise AssertionError(f"view state {state!r} not reached: {data['state']!r}")
            time.sleep(0.05)
