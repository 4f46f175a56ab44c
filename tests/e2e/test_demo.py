"""``make demo``'s orchestrator, demo-sized and fast, seen through a real browser.

Runs ``scripts/demo.py`` (Mosquitto from firmware-config, the collector on SQLite, the fleet
simulator running the real agent code), waits until the API shows GPS pins for every office with
a counter and one counter offline (its uplink cut), then loads the map and fleet pages in
headless Chromium, asserts the markers, the rows and the offline device, and saves screenshots
to ``test-artifacts/demo/``. Finally it sends SIGINT, as Ctrl-C would, and checks that no
process the demo started is left.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from simulator.offices import place_counters
from tests.collector.devices import wait_for
from tests.e2e.browser import ARTIFACTS_DIR, launch

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DEVICES = 6
SHOTS = ARTIFACTS_DIR / "demo"


class DemoProcess:
    """``python scripts/demo.py`` with its output collected on a thread."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "scripts" / "demo.py"),
                f"--devices={DEVICES}",
                "--speed=120",
                "--http-port=0",
                f"--state-dir={state_dir}",
                "--sim-arg=--outage-after=2",
                "--sim-arg=--outage-for=600",
                "--sim-arg=--fault-after=3",
                "--sim-arg=--status-every=2",
            ],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_url(self, timeout_s: float = 60.0) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            match = re.search(r"Office map\s+(http://127\.0\.0\.1:\d+)/", self.output)
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"the demo printed no URL:\n{self.output[-3000:]}")

    def interrupt(self, timeout_s: float = 60.0) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=timeout_s)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    process = DemoProcess(tmp_path / "demo-state")
    try:
        yield process
    finally:
        process.kill()  # only if the test failed before its own SIGINT
        for proc in _processes_of(process.state_dir):
            proc.kill()


def _processes_of(state_dir: Path) -> list[psutil.Process]:
    """Processes whose command line names the demo's state directory (broker, simulator)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if str(state_dir) in cmdline and proc.pid != psutil.Process().pid:
            found.append(proc)
    return found


def _survivors(pids: set[int], grace_s: float = 5.0) -> list[tuple[int, str, list[str]]]:
    """Processes of ``pids`` still there after ``grace_s`` (short-lived helpers may be exiting)."""
    deadline = time.monotonic() + grace_s
    while True:
        left = []
        for pid in sorted(pids):
            try:
                proc = psutil.Process(pid)
                left.append((pid, proc.status(), proc.cmdline()))
            except psutil.NoSuchProcess:
                continue
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.2)


def _wait(what: str, check: Any, timeout_s: float, demo: DemoProcess) -> Any:
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx.HTTPError as exc:
            value = exc
        if value and not isinstance(value, Exception):
            return value
        assert demo.process.poll() is None, f"the demo exited:\n{demo.output[-3000:]}"
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout_s} s (last: {value!r})")


def test_demo_shows_pins_and_an_offline_device_and_stops_without_leftovers(
    tmp_path: Path, demo: DemoProcess
) -> None:
    sites = place_counters(DEVICES)
    offices = {s.office.office_id for s in sites}
    devices = {s.device_id for s in sites}
    cut = sites[-1].device_id  # the simulator cuts the last counter's uplink
    url = demo.wait_url()
    api = httpx.Client(base_url=url, timeout=10)
    descendants = {p.pid for p in psutil.Process(demo.process.pid).children(recursive=True)}

    def gps_pins() -> set[str]:
        features = api.get("/api/v1/offices").json()["features"]
        return {
            f["properties"]["office_id"]
            for f in features
            if f["geometry"] and f["properties"]["pin_source"] == "gps"
        }

    def offline_now() -> set[str] | None:
        items = api.get("/api/v1/devices").json()["items"]
        if {d["device_id"] for d in items} != devices:
            return None
        return {d["device_id"] for d in items if not d["online"]} or None

    assert _wait("a GPS pin for every office", lambda: gps_pins() == offices, 60, demo)
    assert _wait("the cut device offline", offline_now, 30, demo) == {cut}

    # The catalogue: the 10 sample services, a Thai two-syllable fragment finds one (no word
    # spaces), and a point near a demo office finds it among those offering that service.
    services = api.get("/api/v1/services", params={"limit": 100}).json()["items"]
    assert len(services) == 10
    renewal = next(s for s in services if s["service_id"] == "id-card-renewal-expired")
    hits = api.get("/api/v1/services/search", params={"q": "หมดอายุ", "kind": "service"})
    assert renewal["service_id"] in [h["id"] for h in hits.json()["items"]]
    home = sites[0].office
    near = api.get(
        "/api/v1/nearest",
        params={"lat": home.lat, "lon": home.lon, "service_id": renewal["service_id"]},
    ).json()["items"]
    assert near, "no office offers the service near a demo office"
    assert near[0]["office_id"] == home.office_id
    descendants |= {p.pid for p in psutil.Process(demo.process.pid).children(recursive=True)}
    assert len(descendants) >= 3, "broker, collector and simulator run as child processes"

    # The printed demo manager logs in and sees only their (three) offices.
    login = re.search(r"Manager\s+\S+/login\s+(\S+) / (\S+)", demo.output)
    assert login, demo.output[-2000:]
    form = api.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    r = api.post(
        "/login",
        data={"email": login.group(1), "password": login.group(2), "csrf_token": token.group(1)},
    )
    assert r.status_code == 303, r.text[-500:]
    me = api.get("/api/v1/me").json()
    assert me["role"] == "manager"
    assert len(me["office_ids"]) == min(3, len(offices))
    assert set(me["office_ids"]) <= offices
    # Their analytics: the page opens, and the ranking holds their offices only (the simulated
    # counters' ratings, k-anonymised).
    assert api.get("/analytics").status_code == 200
    ranked = api.get("/api/v1/analytics/ranking").json()["offices"]
    assert {o["office_id"] for o in ranked} <= set(me["office_ids"])

    # The printed counter QR link opens the citizen's form of one of the manager's offices.
    qr_link = re.search(r"Counter QR\s+(http://\S+/f/(k\d+\.([a-z0-9-]+)\.\S+))", demo.output)
    assert qr_link, demo.output[-2000:]
    assert qr_link.group(3) in me["office_ids"]
    assert api.get(qr_link.group(1)).status_code == 200

    # A complaint sent with that counter's token reaches the fake 1111 centre, once, and the
    # citizen's status page shows the centre's steps (the demo's centre accepts at once).
    centre = re.search(r"1111 centre\s+(http://\S+/)", demo.output)
    assert centre, demo.output[-2000:]
    sent = httpx.post(
        url + "/api/v1/feedback",
        json={
            "token": qr_link.group(2),
            "score": 1,
            "comment": "รอนานมาก ไม่มีเจ้าหน้าที่ที่ช่อง",
            "complaint": True,
            "category": "delay",
        },
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    ref, secret = sent.json()["status_url"].rsplit("/", 2)[-2:]

    def centre_has_it() -> bool:
        got = httpx.get(centre.group(1) + "received?payloads=1", timeout=5).json()
        return any(
            p.get("category") == "delay" and "รอนานมาก" in p.get("text", "")
            for p in got.get("payloads", {}).values()
        )

    wait_for(centre_has_it, timeout=60, interval=0.5)
    assert httpx.get(centre.group(1) + "received", timeout=5).json()["duplicates"] == 0

    def status_steps() -> list[str]:
        status = httpx.get(
            f"{url}/api/v1/feedback/status/{ref}", params={"secret": secret}, timeout=5
        ).json()
        return [step["state"] for step in status["steps"]]

    wait_for(lambda: "forwarded" in status_steps(), timeout=60, interval=0.5)

    with launch(tmp_path / "chromium") as browser:
        page = browser.new_page()
        page.goto(url + "/")
        page.wait_for("document.body.dataset.loaded === 'true'")
        markers = page.wait_for(
            f"(() => {{ const ids = [...document.querySelectorAll('.office-pin[data-office-id]')]"
            f".map(e => e.dataset.officeId); return ids.length === {len(offices)} && ids; }})()"
        )
        assert set(markers) == offices
        assert page.evaluate("document.querySelectorAll('.office-pin.pin-gps').length") == len(
            offices
        )
        rows = page.evaluate(
            "[...document.querySelectorAll('#offices tbody tr[data-office-id]')]"
            ".map(r => r.dataset.officeId)"
        )
        assert set(rows) == offices
        page.screenshot(SHOTS / "demo-map.png")

        # The banner's fleet link carries a viewer token (the fleet view needs one).
        link = re.search(r"Fleet\s+(http://\S+/fleet#token=cf_\S+)", demo.output)
        assert link, f"the demo printed no fleet link with a token:\n{demo.output[-2000:]}"
        page.goto(link.group(1))
        page.wait_for("document.body.dataset.loaded === 'true'")
        assert page.evaluate("location.hash") == ""
        states = page.wait_for(
            "(() => { const rows = [...document.querySelectorAll('#fleet tr[data-device-id]')];"
            f" return rows.length === {DEVICES} &&"
            " Object.fromEntries(rows.map(r => [r.dataset.deviceId, r.dataset.online])); })()"
        )
        assert set(states) == devices
        assert {d for d, online in states.items() if online == "false"} == {cut}
        assert page.evaluate(
            f"document.querySelector('#fleet tr[data-device-id=\"{cut}\"]')"
            ".classList.contains('row-offline')"
        )
        page.screenshot(SHOTS / "demo-fleet.png")

    status_lines = [line for line in demo.lines if " | online " in line]
    assert status_lines, f"the simulator printed no status line:\n{demo.output[-2000:]}"
    assert any(f"offline: {cut}" in line for line in status_lines)

    assert demo.interrupt() == 0, demo.output[-3000:]
    assert "every agent published offline" in demo.output
    left = _survivors(descendants)
    assert not left, f"processes left behind: {left}"
    assert not _processes_of(demo.state_dir)
