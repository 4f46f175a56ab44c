"""``python -m collector qr`` and ``qr-keys`` as an operator runs them (a real process)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from collector.__main__ import main
from collector.audit import CLI_ACTOR
from collector.config import Settings
from collector.feedback.keys import Signer
from collector.feedback.settings import FeedbackSettings
from collector.registry import DeviceIn, OfficeIn
from collector.registry_writes import put_device, upsert_office
from collector.storage import open_driver
from tests.collector.feedback.conftest import SECRET

REPO = Path(__file__).resolve().parents[3]


def cli(db: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CF_DB_URL": str(db),
        "CF_FEEDBACK_SECRET": SECRET,
        "CF_PUBLIC_URL": "https://feedback.example.go.th",
        "CF_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "collector", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def seed(db: Path) -> None:
    driver = await open_driver(Settings(db_url=str(db)))
    try:
        office = OfficeIn(office_id="office-a", name_th="อำเภอทดสอบ", name_en="Test District")
        await upsert_office(driver, office)
        for device, label in (("dev-1", "1"), ("dev-2", "ช่อง 2")):
            await put_device(
                driver,
                CLI_ACTOR,
                DeviceIn(device_id=device, office_id="office-a", counter_label=label),
                lambda _office, _province: True,
            )
    finally:
        await driver.close()


async def valid_link(db: Path, url: str) -> str:
    driver = await open_driver(Settings(db_url=str(db)))
    try:
        token = await Signer(driver, FeedbackSettings(feedback_secret=SECRET)).check(
            url.rsplit("/", 1)[1]
        )
        return token.counter_label
    finally:
        await driver.close()


@pytest.mark.slow  # three collector processes
def test_qr_files_per_counter_and_key_rotation(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert cli(db, "migrate").returncode == 0
    asyncio.run(seed(db))
    out = tmp_path / "qr"
    done = cli(db, "qr", "--office", "office-a", "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = [line.split("\t") for line in done.stdout.splitlines()]
    assert [line[0] for line in lines] == ["1", "ช่อง 2"]
    for label, svg, png, url in lines:
        assert url.startswith("https://feedback.example.go.th/f/k1.office-a.")
        assert asyncio.run(valid_link(db, url)) == label
        assert Path(png).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        root = ET.fromstring(Path(svg).read_text(encoding="utf-8"))  # noqa: S314 (our own file)
        assert root.tag.endswith("svg")
        assert root.find("{http://www.w3.org/2000/svg}path") is not None
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{Path(s).name}" for _l, s, _p, _u in lines]
        + [f"{Path(p).name}" for _l, _s, p, _u in lines]
    )
    rotated = cli(db, "qr-keys", "rotate", "--grace-days", "30")
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.splitlines()[0].startswith("k2\tsigning")
    assert rotated.stdout.splitlines()[1].startswith("k1\taccepted until\t")
    again = cli(db, "qr", "--office", "office-a", "--out", str(out))
    assert all("/f/k2.office-a." in line for line in again.stdout.splitlines())
    assert asyncio.run(valid_link(db, lines[0][3])) == "1"  # the old print still works


def test_qr_errors_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In process (the same ``main`` as ``python -m collector``): exit 1, one line, no trace."""
    monkeypatch.setenv("CF_DB_URL", str(tmp_path / "c.db"))
    monkeypatch.setenv("CF_FEEDBACK_SECRET", SECRET)
    monkeypatch.setenv("CF_LOG_LEVEL", "WARNING")
    cases = [
        (
            ["qr", "--office", "no-such-office", "--out", str(tmp_path / "x")],
            {},
            "collector qr: --office: no office no-such-office",
        ),
        (["qr-keys", "rotate", "--grace-days", "-1"], {}, "collector qr-keys: --grace-days: must"),
        (
            ["qr-keys", "list"],
            {"CF_QR_KEY_GRACE_DAYS": "many"},
            "collector qr-keys: CF_QR_KEY_GRACE_DAYS: Input should be a valid integer",
        ),
    ]
    for argv, env, line in cases:
        with monkeypatch.context() as m:
            for name, value in env.items():
                m.setenv(name, value)
            assert main(argv) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        assert err[0].startswith(line), err
