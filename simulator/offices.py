"""The district offices the simulator places counters at (real names and coordinates)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

from agent.errors import AgentError

DATA_FILE = "chiang-mai-district-offices.csv"
PROVINCE = "เชียงใหม่"
AGENCY = "กรมการปกครอง (Department of Provincial Administration)"
# The provincial seat and the big suburban districts get several counters.
BIG_OFFICES = (
    "cm-mueang-chiang-mai-dol",
    "cm-san-sai-dol",
    "cm-hang-dong-dol",
    "cm-san-kamphaeng-dol",
    "cm-fang-dol",
)


@dataclass(frozen=True, slots=True)
class Office:
    office_id: str
    code: str
    name_th: str
    name_en: str
    lat: float
    lon: float


def load_offices() -> list[Office]:
    """All offices of the bundled CSV, in DOPA code order."""
    text = resources.files("simulator").joinpath("data", DATA_FILE).read_text("utf-8")
    offices = []
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        try:
            offices.append(
                Office(
                    office_id=row["office_id"],
                    code=row["amphoe_code"],
                    name_th=row["office_name_th"],
                    name_en=row["office_name_en"],
                    lat=float(row["lat"]),
                    lon=float(row["lon"]),
                )
            )
        except (KeyError, ValueError) as exc:
            raise AgentError(f"{DATA_FILE} line {line}: {exc}") from exc
    return sorted(offices, key=lambda o: o.code)


@dataclass(frozen=True, slots=True)
class CounterSite:
    """One counter: its device id, its office and its number at that office."""

    device_id: str
    office: Office
    number: int


def place_counters(count: int, offices: list[Office] | None = None) -> list[CounterSite]:
    """``count`` counters, several at the big offices, then one per office, then round-robin.

    Device ids follow the inventory's convention ``<office_id>-c<NN>`` (ansible/inventories).
    """
    if count < 1:
        raise AgentError("--devices: at least 1 counter")
    offices = offices or load_offices()
    by_id = {o.office_id: o for o in offices}
    big = [by_id[i] for i in BIG_OFFICES if i in by_id]
    others = [o for o in offices if o.office_id not in BIG_OFFICES]
    # Big offices first (Mueang three counters, San Sai and Hang Dong two), then one counter per
    # remaining office, then round-robin over every office.
    first = [*big, *[o for o in big[:3]], *big[:1], *others]
    quota = {o.office_id: 0 for o in offices}
    sites: list[CounterSite] = []
    sequence = first
    while len(sites) < count:
        for office in sequence:
            if len(sites) == count:
                break
            quota[office.office_id] += 1
            n = quota[office.office_id]
            sites.append(CounterSite(f"{office.office_id}-c{n:02d}", office, n))
        sequence = [*big, *others]
    return sites
