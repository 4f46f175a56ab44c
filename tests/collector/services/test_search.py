"""Search on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm): Thai fragments, English, bad input."""

from __future__ import annotations

import pytest

from collector.registry import OfficeIn
from collector.registry_writes import upsert_office
from collector.services.search import search
from collector.storage import Driver


async def _ids(driver: Driver, query: str, kind: str = "service") -> list[str]:
    return [h["id"] for h in await search(driver, query, kinds=(kind,), limit=50)]


async def test_thai_fragments_without_word_spaces(loaded: Driver) -> None:
    assert await _ids(loaded, "สมรส") == ["marriage-registration"]  # two syllables, mid-word
    assert await _ids(loaded, "ย้ายออก") == ["house-registration-move-out"]
    assert set(await _ids(loaded, "บัตรประจำตัว")) == {
        "id-card-renewal-expired",
        "id-card-replacement-lost",
        "id-card-change-address",
    }
    # two fragments, both must match
    assert await _ids(loaded, "บัตร หาย") == ["id-card-replacement-lost"]
    hit = (await search(loaded, "แจ้งตาย", kinds=("service",)))[0]
    assert hit["name_th"] == "การแจ้งตาย"
    assert hit["name_en"] == "Death registration"


async def test_english_case_insensitive_and_ranked(loaded: Driver) -> None:
    assert await _ids(loaded, "MARRIAGE") == ["marriage-registration"]
    ranked = await _ids(loaded, "registration")
    assert "death-registration" in ranked
    assert "marriage-registration" in ranked
    # the shortest name that contains the word ranks before the longer ones
    assert ranked[0] == "death-registration"


async def test_offices_are_found_and_kept_in_step(loaded: Driver) -> None:
    assert await _ids(loaded, "สันทราย", "office") == ["cm-san-sai-dol"]
    await upsert_office(
        loaded,
        OfficeIn(office_id="cm-san-sai-dol", name_th="สำนักงานทดสอบ", name_en="Renamed"),
    )
    assert await _ids(loaded, "สันทราย", "office") == []
    assert await _ids(loaded, "ทดสอบ", "office") == ["cm-san-sai-dol"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "%",
        "_",
        "%%%",
        "\\",
        "'; DROP TABLE services; --",
        '"',
        'a" OR "b',
        "NEAR(a b)",
        "*",
        "ก",
        "ก" * 5000,
        "😀 emoji",
        "\x00\x01",
        "?",
        "บัตร?",
    ],
)
async def test_any_query_is_answered(loaded: Driver, query: str) -> None:
    hits = await search(loaded, query, limit=5)
    assert isinstance(hits, list)
    if query.strip() in ("%", "_", "%%%", "\\", "*", "?"):
        assert hits == []  # metacharacters are matched literally, not as wildcards
    assert await loaded.fetchval("SELECT count(*) FROM services") == 10


async def test_short_terms_match_as_substrings(loaded: Driver) -> None:
    assert "id-card-renewal-expired" in await _ids(loaded, "id")
    assert await _ids(loaded, "ช.3") == ["first-name-change"]
