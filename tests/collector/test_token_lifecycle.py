"""Token lifecycle through the real CLI (``python -m collector token ...``) and the real app:
create, use (last use recorded), list, revoke, expire; the bootstrap ops token dropped when its
variable is unset."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from collector.api.app import create_app
from tests.collector.conftest import make_settings

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = "cf_bootstrap-test-token-0123456789abcdefghij"


def cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CF_")}
    env.update(CF_DB_URL=db, CF_LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "collector", "token", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@asynccontextmanager
async def collector_app(db: str, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(db, token_touch_every_s=0, **settings), ingest=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
            yield client


def _row(listing: str, token_id: str) -> list[str]:
    line = next(line for line in listing.splitlines() if line.startswith(token_id))
    return line.split()


async def test_create_use_list_revoke_and_expire(tmp_path: Path) -> None:
    db = str(tmp_path / "tokens.db")
    made = cli(db, "create", "--role", "viewer", "--name", "grafana")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("cf_")
    listing = cli(db, "list").stdout
    assert token not in listing
    token_id = listing.splitlines()[1].split()[0]
    row = _row(listing, token_id)
    assert row[1:3] == ["viewer", "active"]
    assert row[5] == "-", "never used yet"
    expires = row[4]
    assert expires > row[3], "a default expiry (CF_TOKEN_TTL_DAYS) is set"

    auth = {"Authorization": f"Bearer {token}"}
    async with collector_app(db) as client:
        assert (await client.get("/api/v1/alerts", headers=auth)).status_code == 200
    assert _row(cli(db, "list").stdout, token_id)[5] != "-", "last use recorded"

    revoked = cli(db, "revoke", token_id[:8])
    assert revoked.returncode == 0, revoked.stderr
    assert f"revoked {token_id}" in revoked.stdout
    async with collector_app(db) as client:
        r = await client.get("/api/v1/alerts", headers=auth)
        assert r.status_code == 401
        assert "revoked" in r.json()["error"]
    assert token_id not in cli(db, "list").stdout
    assert _row(cli(db, "list", "--all").stdout, token_id)[2] == "revoked"

    # Lives ~8.6 s: long enough for the app to start and answer once on a loaded machine (a
    # 1.7 s token expired before the first request in a clean-clone run at load 11).
    short = cli(db, "create", "--role", "ops", "--name", "brief", "--expires-days", "0.0001")
    created_at = time.monotonic()  # the CLI set the expiry before it returned
    short_token = short.stdout.strip()
    short_auth = {"Authorization": f"Bearer {short_token}"}
    async with collector_app(db) as client:
        assert (await client.get("/api/v1/audit", headers=short_auth)).status_code == 200
        await asyncio.sleep(max(0.0, created_at + 0.0001 * 86400 + 0.5 - time.monotonic()))
        r = await client.get("/api/v1/audit", headers=short_auth)
        assert (r.status_code, "expired" in r.json()["error"]) == (401, True)
        audit = (await client.get("/api/v1/audit", headers=short_auth)).status_code
        assert audit == 401
    states = [line.split()[2] for line in cli(db, "list", "--all").stdout.splitlines()[1:]]
    assert sorted(states) == ["expired", "revoked"]


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "tokens.db")
    bad = cli(db, "revoke", "abcdef")
    assert (bad.returncode, bad.stderr.strip()) == (
        2,
        "collector: token id 'abcdef': no such token",
    )
    scoped_ops = cli(db, "create", "--role", "ops", "--office", "cm-fang-dol")
    assert scoped_ops.returncode == 2
    assert "Traceback" not in scoped_ops.stderr
    scoped = cli(db, "create", "--role", "technician", "--province", "Chiang Mai")
    assert scoped.returncode == 0
    assert "province Chiang Mai" in cli(db, "list").stdout


async def test_the_bootstrap_token_is_dropped_when_its_variable_is_unset(tmp_path: Path) -> None:
    db = str(tmp_path / "bootstrap.db")
    auth = {"Authorization": f"Bearer {BOOTSTRAP}"}
    async with collector_app(db, bootstrap_ops_token=BOOTSTRAP) as client:
        assert (await client.get("/api/v1/audit", headers=auth)).status_code == 200
    async with collector_app(db, bootstrap_ops_token=BOOTSTRAP) as client:  # a restart keeps it
        assert (await client.get("/api/v1/audit", headers=auth)).status_code == 200
    async with collector_app(db) as client:  # variable removed
        assert (await client.get("/api/v1/audit", headers=auth)).status_code == 401
    async with collector_app(db, bootstrap_ops_token=BOOTSTRAP) as client:  # no resurrection
        assert (await client.get("/api/v1/audit", headers=auth)).status_code == 401
    assert "revoked" in cli(db, "list", "--all").stdout
