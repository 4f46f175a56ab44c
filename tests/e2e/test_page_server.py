"""The collector's page server itself, without a browser: languages and their cookie, refused
paths, static files, tile settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from collector.errors import ConfigError
from collector.web import install, make_router
from collector.web.i18n import COOKIE_NAME, STRINGS
from collector.web.settings import WebSettings


@pytest.fixture
async def pages_client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install(app, WebSettings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pages.test") as client:
        yield client


def test_every_string_exists_in_both_languages() -> None:
    assert set(STRINGS["th"]) == set(STRINGS["en"])
    for lang, table in STRINGS.items():
        empty = [key for key, text in table.items() if not text.strip()]
        assert empty == [], f"{lang}: empty strings {empty}"


async def test_thai_by_default_english_by_query_and_remembered_by_cookie(
    pages_client: httpx.AsyncClient,
) -> None:
    first = await pages_client.get("/fleet")
    assert first.status_code == 200
    assert '<html lang="th">' in first.text
    assert "อุปกรณ์ทั้งหมด" in first.text
    assert COOKIE_NAME not in first.cookies

    english = await pages_client.get("/map?lang=en")
    assert '<html lang="en">' in english.text
    assert "Office map" in english.text
    assert english.cookies.get(COOKIE_NAME) == "en"

    remembered = await pages_client.get("/offices/cm-fang-dol")  # the client keeps the cookie
    assert '<html lang="en">' in remembered.text
    assert (await pages_client.get("/map?lang=xx")).text.count('<html lang="en">') == 1
    assert '<html lang="th">' in (await pages_client.get("/map?lang=th")).text


async def test_bad_office_id_and_path_escapes_are_refused(pages_client: httpx.AsyncClient) -> None:
    assert (await pages_client.get("/offices/..%2Fetc")).status_code == 404
    assert (await pages_client.get("/offices/NOT_AN_ID")).status_code == 404
    assert (await pages_client.get("/static/%2e%2e/pages.py")).status_code == 404
    assert (await pages_client.get("/static/..%2fpages.py")).status_code == 404
    assert (await pages_client.get("/static/css/..%2f..%2f..%2fconfig.py")).status_code == 404
    assert (await pages_client.get("/static/nope.js")).status_code == 404
    leaflet = await pages_client.get("/static/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200
    assert "javascript" in leaflet.headers["content-type"]


def test_a_malformed_tile_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_TILE_URL", "ftp://tiles.example/{z}/{x}/{y}.png")
    with pytest.raises(ConfigError, match=r"^CF_TILE_URL: .*\{z\}"):
        make_router()
