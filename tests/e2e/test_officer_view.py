"""Issue 16 end to end: ``python -m agent run`` with the officer view on, the virtual card
through pcscd/vpcd, the kiosk page in headless Chromium, a copy printed through CUPS/cups-pdf,
``copy.made`` over MQTT. The canary citizen's id, name and address show on the page and the
printed PDF only: in no log, outbox, MQTT message, browser profile (cache) or temporary file.
``agent check`` reports the officer view and the printer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.card.day_key_store import office_today
from protocols import Channel, CopyMade, SessionStarted, decode, topic
from protocols.day_keys import make_day_keys
from tests.agent.agent_rig import DEVICE, ROOT, config_data, wait_until, write_toml
from tests.agent.collector_double import CollectorDouble
from tests.agent.officer_view.pdf_text import pdf_text, skeleton
from tests.agent.officer_view.rig import (
    CANARY,
    CANARY_ID,
    CANARY_ROAD,
    CANARY_SURNAME,
    officer_settings,
)
from tests.e2e.browser import ARTIFACTS_DIR, launch
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.cups import QUEUE, Cups
from tests.fixtures.pcsc import Pcscd, VirtualCards

pytestmark = pytest.mark.slow

SECRETS = {
    "citizen id": CANARY_ID.encode(),
    "surname (UTF-8)": CANARY_SURNAME.encode(),
    "surname (TIS-620)": CANARY_SURNAME.encode("tis-620"),
    "road (UTF-8)": CANARY_ROAD.encode(),
    "road (TIS-620)": CANARY_ROAD.encode("tis-620"),
    "English name": b"Srisukjaideelert",
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _config(tmp_path: Path, mosquitto: MosquittoBroker, pcscd: Pcscd, cups: Cups) -> Path:
    keys = tmp_path / "state" / "day-keys.json"
    keys.parent.mkdir(parents=True, exist_ok=True)
    keys.write_text(make_day_keys(b"k" * 32, office_today() - timedelta(days=1), 3).dumps())
    keys.chmod(0o600)
    data = config_data(
        tmp_path,
        mosquitto.url,
        card={
            "backend": "pcsc",
            "reader": pcscd.reader_name(0),
            "day_keys_path": str(keys),
            "settle_delay_s": 0.05,
        },
    )
    path = write_toml(tmp_path / "agent.toml", data)
    officer = officer_settings(
        tmp_path,
        printer=QUEUE,
        cups_server=cups.server,
        lp_options=["pdftops-renderer=pdftocairo"],
    )
    lines = ["[officer_view]", *(f"{k} = {_toml_value(v)}" for k, v in officer.items())]
    with path.open("a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def _scan(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for file in [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]:
            try:
                data = file.read_bytes()
            except OSError:
                continue
            found += [f"{what} in {file}" for what, s in SECRETS.items() if s in data]
    return found


def test_officer_view_copy_and_canary(
    tmp_path: Path,
    mosquitto: MosquittoBroker,
    pcscd: Pcscd,
    virtual_card: VirtualCards,
    cups: Cups,
) -> None:
    config = _config(tmp_path, mosquitto, pcscd, cups)
    port = int(
        next(
            line.split("=")[1]
            for line in config.read_text().splitlines()
            if line.startswith("port =")
        )
    )
    private_tmp = tmp_path / "tmpdir"
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    log_path = tmp_path / "agent.log"
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    with log_path.open("ab") as log:
        agent = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(config), "--log-level", "DEBUG"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    profile = tmp_path / "chromium"
    printed_before = len(list(cups.out.glob("*.pdf")))

    def events() -> list[Any]:
        return [decode(topic(DEVICE, Channel.EVENTS), p) for p in collector.raw_events()]

    def serving() -> bool:
        assert agent.poll() is None, log_path.read_text()[-2000:]
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/card", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(serving, 20, "the officer view did not come up")
        with launch(profile) as browser:
            page = browser.new_page(width=1024, height=768)
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for("document.getElementById('status').textContent.includes('เสียบบัตร')")
            card = virtual_card(CANARY)
            page.wait_for("!document.getElementById('card').hidden", timeout=20)
            shown = page.evaluate("document.getElementById('card').innerText")
            assert CANARY_SURNAME in shown
            assert CANARY_ROAD in shown
            assert "1 9999 55501 23 5" in shown
            page.wait_for("document.getElementById('photo').complete")
            assert page.evaluate("document.getElementById('photo').naturalWidth") == 148
            page.screenshot(ARTIFACTS_DIR / "officer-view-card-in.png")

            page.evaluate("document.getElementById('service').value = 'house-move'")
            page.evaluate("document.querySelector('#copy button').click()")
            page.wait_for(
                "document.getElementById('status').textContent.includes('เครื่องพิมพ์')", timeout=60
            )
            wait_until(lambda: any(isinstance(e, CopyMade) for e in events()), 15, "no copy.made")

            virtual_card.remove(card)
            page.wait_for("document.getElementById('card').hidden", timeout=20)
            for element in ("card", "copy"):
                shown_style = f"getComputedStyle(document.getElementById('{element}')).display"
                assert page.evaluate(shown_style) == "none", element
            after = page.evaluate("document.body.innerText")
            assert CANARY_SURNAME not in after
            assert CANARY_ID[1:5] + " " + CANARY_ID[5:10] not in after
            assert page.evaluate("document.getElementById('photo').hasAttribute('src')") is False
            page.screenshot(ARTIFACTS_DIR / "officer-view-card-out.png")
            assert not page.console_errors()
        pdfs = cups.printed(printed_before + 1)
    finally:
        agent.terminate()
        agent.wait(timeout=20)
        collector.stop()

    made = next(e for e in events() if isinstance(e, CopyMade))
    started = next(e for e in events() if isinstance(e, SessionStarted))
    assert made.body.service == "house-move"
    assert made.body.document == "id_card"
    assert made.body.session == started.body.session
    text = pdf_text(pdfs[-1])
    assert skeleton("ใช้สำหรับแจ้งย้ายที่อยู่เท่านั้น") in skeleton(text)
    assert skeleton(CANARY_SURNAME) in skeleton(text)
    assert cups.spool_documents() == []

    # The canary: on the page and the paper only.
    traffic = b"".join(collector.raw_events())
    for channel in ("heartbeat", "state", "location", "command-results"):
        traffic += b"".join(collector.messages(channel))
    assert [w for w, s in SECRETS.items() if s in traffic] == []
    leaks = _scan(
        [
            log_path,
            tmp_path / "state",  # outbox (+ WAL), day keys, paired PCs
            profile,  # the browser's cache, cookies, local storage
            private_tmp,  # the agent's and the browser's TMPDIR
            pcscd.log_path,
            cups.root / "log",
            cups.spool,
        ]
    )
    assert leaks == []
    assert "office copy printed as job" in log_path.read_text()


def test_agent_check_reports_officer_view_and_printer(
    tmp_path: Path, mosquitto: MosquittoBroker, pcscd: Pcscd, cups: Cups
) -> None:
    config = _config(tmp_path, mosquitto, pcscd, cups)
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "check", "--config", str(config), "--skip", "gps",
         "--skip", "clock", "--skip", "card", "--timeout", "5"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert "ok   officer_view: on, kiosk http://127.0.0.1:" in proc.stdout, proc.stdout
    assert f"ok   printer: printer {QUEUE} is idle" in proc.stdout, proc.stdout
    broken = config.read_text().replace(f'printer = "{QUEUE}"', 'printer = "gone-queue"')
    config.write_text(broken)
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "check", "--config", str(config), "--skip", "gps",
         "--skip", "clock", "--skip", "card", "--timeout", "5"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert "FAIL printer: printer 'gone-queue'" in proc.stdout, proc.stdout
    assert proc.returncode == 1
