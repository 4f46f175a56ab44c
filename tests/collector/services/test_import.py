"""Import: the sample file, idempotence, dry run, and every kind of bad input (nothing written)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from collector.services.catalogue import get_service, office_services
from collector.services.reader import ImportProblemsError, read_catalogue
from collector.services.store import import_catalogue
from collector.storage import Driver
from tests.collector.services.conftest import SAMPLE, add_offices

ROOT = Path(__file__).resolve().parents[3]


def _sample() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


async def _counts(driver: Driver) -> tuple[int, int, int, int]:
    return (
        int(await driver.fetchval("SELECT count(*) FROM services")),
        int(await driver.fetchval("SELECT count(*) FROM service_documents")),
        int(await driver.fetchval("SELECT count(*) FROM office_services")),
        int(await driver.fetchval("SELECT count(*) FROM office_hours")),
    )


def _problems(data: bytes, name: str = "f.json") -> list[str]:
    with pytest.raises(ImportProblemsError) as info:
        read_catalogue(data, name)
    return info.value.problems


async def test_sample_imports_and_is_idempotent(driver: Driver) -> None:
    await add_offices(driver)
    catalogue = read_catalogue(SAMPLE.read_bytes(), SAMPLE.name)
    first = await import_catalogue(driver, catalogue)
    assert (first.services_created, first.services_updated) == (10, 0)
    before = await _counts(driver)
    second = await import_catalogue(driver, catalogue)
    assert (second.services_created, second.services_updated) == (0, 10)
    assert await _counts(driver) == before
    service = await get_service(driver, "id-card-replacement-lost")
    assert service["fee_thb"] == 100
    assert [d["copy_required"] for d in service["documents"]] == [None, None]
    assert service["source"][0].startswith("https://www.bora.dopa.go.th/")
    assert service["steps"][0]["text_th"].startswith("แจ้งบัตรหาย")


async def test_dry_run_writes_nothing(driver: Driver) -> None:
    await add_offices(driver)
    report = await import_catalogue(
        driver, read_catalogue(SAMPLE.read_bytes(), SAMPLE.name), dry_run=True
    )
    assert report.services_created == 10
    assert await _counts(driver) == (0, 0, 0, 0)


async def test_offerings_and_hours_upsert(driver: Driver) -> None:
    await add_offices(driver)
    doc = {
        "services": _sample()[:2],
        "office_hours": [
            {
                "office_id": "cm-san-sai-dol",
                "hours": {"mon": ["08:30-16:30"], "sat": ["09:00-12:00"]},
            }
        ],
        "offerings": [
            {
                "office_id": "cm-san-sai-dol",
                "service_id": "id-card-replacement-lost",
                "counters": ["1", "2"],
                "copies_demanded": [2],
                "copies_made_free": True,
            }
        ],
    }
    report = await import_catalogue(driver, read_catalogue(json.dumps(doc).encode(), "x.json"))
    assert (report.offerings, report.office_hours) == (1, 1)
    assert await _counts(driver) == (2, 3, 1, 2)
    doc["offerings"][0]["copies_demanded"] = []  # type: ignore[index]
    await import_catalogue(driver, read_catalogue(json.dumps(doc).encode(), "x.json"))
    assert await _counts(driver) == (2, 3, 1, 2)
    [offered] = await office_services(driver, "cm-san-sai-dol")
    assert offered["copies_demanded"] == []
    assert offered["copies_made_free"] is True


async def test_unknown_office_and_service_write_nothing(driver: Driver) -> None:
    await add_offices(driver)
    doc = {
        "services": _sample()[:1],
        "offerings": [
            {"office_id": "cm-nowhere-dol", "service_id": "id-card-renewal-expired"},
            {"office_id": "cm-san-sai-dol", "service_id": "no-such-service"},
        ],
    }
    with pytest.raises(ImportProblemsError) as info:
        await import_catalogue(driver, read_catalogue(json.dumps(doc).encode(), "x.json"))
    assert info.value.problems == [
        "offerings[0].office_id: office 'cm-nowhere-dol' is not registered",
        "offerings[1].service_id: unknown service 'no-such-service'",
    ]
    assert await _counts(driver) == (0, 0, 0, 0)


def test_bad_rows_are_located() -> None:
    services = _sample()[:3]
    services[0] = {**services[0], "name_th": ""}
    services[1] = {**services[1], "fee_thb": "free"}
    services[2] = {
        **services[2],
        "documents": [{"name_th": "x", "copies": 2, "copy_required": False}],
    }
    dup = [*_sample()[:1], _sample()[0]]
    long_name = [{**_sample()[0], "name_en": "x" * 301}]
    assert _problems(json.dumps(services).encode()) == [
        "services[0].name_th: String should have at least 1 character",
        "services[1].fee_thb: Input should be a valid number, unable to parse string as a number",
        "services[2].documents[0]: copies and copy_required disagree",
    ]
    assert _problems(json.dumps(dup).encode()) == [
        "services[1].service_id: duplicate id 'id-card-renewal-expired' (first at services[0])"
    ]
    assert _problems(json.dumps(long_name).encode()) == [
        "services[0].name_en: String should have at most 300 characters"
    ]
    assert _problems(
        json.dumps([{"service_id": "a-b-c", "name_th": "ก", "name_en": "A", "typo": 1}]).encode()
    ) == ["services[0].typo: Extra inputs are not permitted"]
    assert _problems(b"[1,") == ["line 1, column 4: not valid JSON (Expecting value)"]
    assert _problems("บริการ".encode("tis-620")) == [
        "byte 0: not UTF-8 (0xba); save the file as UTF-8"
    ]


def test_csv_same_schema_and_line_numbers() -> None:
    good = (
        "service_id,name_th,name_en,fee_thb,documents,source\n"
        'birth-registration,การแจ้งเกิด,Birth registration,0,"[{""name_th"": ""หนังสือรับรองการเกิด"", '
        '""copies"": 1}]","[""https://www.gcc.go.th/?p=1684""]"\n'
    )
    catalogue = read_catalogue(good.encode(), "s.csv")
    [service] = catalogue.services
    assert service.documents[0].copy_required is True
    assert service.fee_thb == 0
    bad = good + "bad id,ชื่อ,Name,-5,,\n"
    assert _problems(bad.encode(), "s.csv") == [
        "line 3, column service_id: String should match pattern '^[a-z0-9][a-z0-9-]{2,63}$'",
        "line 3, column fee_thb: Input should be greater than or equal to 0",
    ]
    assert _problems(b"service_id,colour\nabc-d,red\n", "s.csv") == [
        "line 1, column colour: unknown column",
        "line 2, column name_th: Field required",
        "line 2, column name_en: Field required",
    ]


def _cli(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CF_DB_URL": db}
    return subprocess.run(
        [sys.executable, "-m", "collector", "services", "import", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_imports_and_reports_problems(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    dry = _cli(str(SAMPLE), "--dry-run", db=db)
    assert dry.returncode == 0, dry.stderr
    assert "would import: 10 new and 0 updated services" in dry.stdout
    done = _cli(str(SAMPLE), db=db)
    assert done.returncode == 0
    assert "imported: 10 new" in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"service_id": "X", "name_th": "ก"}]), encoding="utf-8")
    failed = _cli(str(bad), db=db)
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert lines == [
        f"{bad}: services[0].service_id: String should match pattern '^[a-z0-9][a-z0-9-]{{2,63}}$'",
        f"{bad}: services[0].name_en: Field required",
        f"{bad}: nothing imported (2 problem(s))",
    ]
    assert "Traceback" not in failed.stderr
    missing = _cli(str(tmp_path / "none.json"), db=db)
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr


def test_readme_example_is_valid() -> None:
    text = (ROOT / "collector" / "README.md").read_text(encoding="utf-8")
    block = text.split("## Service catalogue", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    catalogue = read_catalogue(block.encode(), "readme.json")
    assert catalogue.services[0].documents[0].copy_required is False
    assert catalogue.offerings[0].copies_demanded == [1]
