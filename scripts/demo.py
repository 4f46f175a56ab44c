"""``make demo``: a private broker, the collector on SQLite and a simulated fleet, on loopback.

Starts, each in its own process group: Mosquitto (from firmware-config's template, plain MQTT
on 127.0.0.1), the collector (SQLite in the state directory), and ``python -m simulator``
(the real agent code, many counters), then prints the URL of the web pages. Ctrl-C (SIGINT) or
SIGTERM stops the simulator first (every agent publishes ``offline``), then the collector, then
the broker, and leaves no process behind. Options come from arguments or ``DEMO_*`` variables.

    python scripts/demo.py [--devices 20] [--speed 60] [--http-port 8080] [--mqtt-port 0]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from broker_config import LOOPBACK, write_config
from demo_services import DemoServicesError, load_demo_services
from process_group import Child

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
START_TIMEOUT_S = 30.0
MARKER = ".citizen-feedback-demo"
DEMO_MANAGER = "demo.manager@example.go.th"


class DemoError(RuntimeError):
    """A part did not start; the message says which and shows its log tail."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _env_default(name: str, default: str) -> str:
    return os.environ.get(name) or default


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/demo.py", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--devices",
        type=int,
        default=int(_env_default("DEMO_DEVICES", "20")),
        help="DEMO_DEVICES: simulated counters (20)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=float(_env_default("DEMO_SPEED", "60")),
        help="DEMO_SPEED: simulated seconds per real second until the present is reached (60)",
    )
    parser.add_argument(
        "--http-port",
        type=int,
        default=int(_env_default("DEMO_HTTP_PORT", "8080")),
        help="DEMO_HTTP_PORT: web pages and API (8080, or a free port when taken; 0 = any)",
    )
    parser.add_argument(
        "--mqtt-port",
        type=int,
        default=int(_env_default("DEMO_MQTT_PORT", "0")),
        help="DEMO_MQTT_PORT (0 = a free port)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(_env_default("DEMO_DIR", str(ROOT / "var" / "demo"))),
        help="DEMO_DIR: database, logs, outboxes; emptied at start (var/demo)",
    )
    parser.add_argument("--duration", type=float, help="stop by itself after N seconds")
    parser.add_argument(
        "--sim-arg",
        action="append",
        default=[],
        help="extra argument for python -m simulator (repeatable), e.g. --sim-arg=--seed=7",
    )
    return parser.parse_args(argv)


def wait_tcp(port: int, child: Child, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not child.running():
            raise DemoError(f"{what} exited with {child.process.returncode}:\n{child.log_tail()}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise DemoError(f"{what} did not listen on {LOOPBACK}:{port}:\n{child.log_tail()}")


def wait_ready(url: str, child: Child) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not child.running():
            raise DemoError(
                f"collector exited with {child.process.returncode}:\n{child.log_tail()}"
            )
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=1):  # noqa: S310 (loopback)
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise DemoError(f"collector not ready at {url}/readyz:\n{child.log_tail()}")


def _token(env: dict[str, str], role: str, name: str) -> str:
    """A new API token from ``python -m collector token create`` (expires after a day)."""
    made = subprocess.run(
        [PYTHON, "-m", "collector", "token", "create", "--role", role, "--name", name,
         "--expires-days", "1"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        raise DemoError(f"collector token create --role {role} failed: {made.stderr.strip()}")
    return made.stdout.strip()


class Demo:
    """The three parts, started in order and stopped in reverse."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.viewer_token = ""
        self.args = args
        self.state = args.state_dir.resolve()
        self.children: list[Child] = []
        self.manager: tuple[str, str] | None = None
        self.qr_link: str | None = None
        self.manager_offices: list[str] = []
        self.centre_url = ""

    def _start_centre(self, http_port: int, logs: Path) -> dict[str, str]:
        """The fake 1111 centre (simulator/centre1111): the collector forwards complaints to it."""
        port, secret = free_port(), secrets.token_hex(16)
        callback = f"http://{LOOPBACK}:{http_port}/api/v1/cases/callback"
        argv = ["--port", str(port), "--secret", secret, "--callback-url", callback]
        argv += ["--auto-accept", "5"]  # cases move on to "accepted" on the status page
        centre = Child(
            "centre1111",
            [PYTHON, "-m", "simulator.centre1111", *argv],
            log=logs / "centre1111.log",
            cwd=ROOT,
        )
        self.children.append(centre)
        wait_tcp(port, centre, "fake 1111 centre")
        self.centre_url = f"http://{LOOPBACK}:{port}/"
        return {
            "CF_CASES_TRANSPORT": "webhook",
            "CF_CASES_WEBHOOK_URL": f"{self.centre_url}cases",
            "CF_CASES_WEBHOOK_SECRET": secret,
            "CF_CASES_CONTACT_KEYS": "demo:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        }

    def _collector_env(self, mqtt_url: str, http_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CF_")}
        env.update(
            CF_MQTT_URL=mqtt_url,
            CF_DB_URL=str(self.state / "collector.db"),
            CF_HTTP_HOST=LOOPBACK,
            CF_HTTP_PORT=str(http_port),
            CF_MQTT_CLIENT_ID=f"cf-collector-demo-{secrets.token_hex(3)}",
            # Demo-sized timings: a silent device is offline after 30 s, alerted after 20 s more.
            CF_HEARTBEAT_TIMEOUT_S="30",
            CF_ALERT_OFFLINE_S="20",
            CF_LOG_LEVEL="WARNING",
            CF_PUBLIC_URL=f"http://{LOOPBACK}:{http_port}",  # QR links and emailed links
        )
        return env

    def start(self) -> str:
        args, state = self.args, self.state
        if state.exists() and any(state.iterdir()):
            if not (state / MARKER).exists():
                raise DemoError(
                    f"{state} is not empty and not a demo state directory (no {MARKER}): "
                    "choose another --state-dir / DEMO_DIR"
                )
            shutil.rmtree(state)
        logs = state / "logs"
        logs.mkdir(parents=True)
        (state / MARKER).touch()
        mqtt_port = args.mqtt_port or free_port()
        http_port = args.http_port
        if http_port == 0 or not port_free(http_port):
            http_port = free_port()
        conf = write_config(mqtt_port, state / "mosquitto")
        broker = Child("mosquitto", ["mosquitto", "-c", str(conf)], log=logs / "mosquitto.out")
        self.children.append(broker)
        wait_tcp(mqtt_port, broker, "mosquitto")
        mqtt_url = f"mqtt://{LOOPBACK}:{mqtt_port}"
        env = self._collector_env(mqtt_url, http_port)
        env.update(self._start_centre(http_port, logs))
        token_file = state / "technician.token"
        token_file.touch(mode=0o600)
        technician = _token(env, "technician", "demo")
        token_file.write_text(technician + "\n", encoding="utf-8")
        self.viewer_token = _token(env, "viewer", "demo fleet page")
        collector = Child(
            "collector", [PYTHON, "-m", "collector"], env=env, log=logs / "collector.log", cwd=ROOT
        )
        self.children.append(collector)
        url = f"http://{LOOPBACK}:{http_port}"
        wait_ready(url, collector)
        sim_env = {k: v for k, v in os.environ.items() if not k.startswith("CF_")}
        simulator = Child(
            "simulator",
            [
                PYTHON,
                "-m",
                "simulator",
                "--mqtt-url",
                mqtt_url,
                "--collector-url",
                url,
                "--token-file",
                str(token_file),
                "--devices",
                str(args.devices),
                "--speed",
                str(args.speed),
                "--workdir",
                str(state / "counters"),
                *args.sim_arg,
            ],
            env=sim_env,
            cwd=ROOT,
        )
        self.children.append(simulator)
        try:
            print("demo: services " + load_demo_services(url, technician), flush=True)
        except DemoServicesError as exc:
            raise DemoError(f"service catalogue: {exc}") from exc
        self.manager = self._demo_manager(url, env, simulator)
        self.qr_link = self._qr_link(env)
        return url

    def _qr_link(self, env: dict[str, str]) -> str:
        """The feedback form link of the demo manager's first counter (QR files in state/qr)."""
        office = self.manager_offices[0]
        made = subprocess.run(
            [PYTHON, "-m", "collector", "qr", "--office", office, "--out", str(self.state / "qr")],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if made.returncode != 0 or not made.stdout.strip():
            raise DemoError(f"collector qr --office {office} failed: {made.stderr.strip()}")
        return made.stdout.splitlines()[0].split("\t")[-1]

    def _demo_manager(self, url: str, env: dict[str, str], simulator: Child) -> tuple[str, str]:
        """A manager of three simulated offices, once the simulator registered every counter."""
        deadline = time.monotonic() + START_TIMEOUT_S
        offices: list[str] = []
        while not offices:
            if time.monotonic() > deadline or not simulator.running():
                raise DemoError(
                    f"the simulator did not register its counters:\n{simulator.log_tail()}"
                )
            try:
                devices_url = f"{url}/api/v1/devices?limit=1000"
                with urllib.request.urlopen(devices_url, timeout=5) as response:  # noqa: S310
                    items = json.load(response)["items"]
                registered = {d["office_id"] for d in items if d.get("office_id")}
                if sum(1 for d in items if d.get("office_id")) >= self.args.devices:
                    offices = sorted(registered)[:3]
            except (urllib.error.URLError, OSError, ValueError, KeyError):
                pass
            if not offices:
                time.sleep(0.3)
        self.manager_offices = offices
        email, password = DEMO_MANAGER, secrets.token_urlsafe(12)
        office_args = [arg for office in offices for arg in ("--office", office)]
        added = subprocess.run(
            [
                PYTHON,
                "-m",
                "collector.accounts",
                "add-person",
                "--email",
                email,
                "--first-name",
                "ผู้จัดการ",
                "--last-name",
                "ตัวอย่าง",
                "--role",
                "manager",
                "--agency",
                "dopa",
                *office_args,
            ],
            input=password + "\n",
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if added.returncode != 0:
            raise DemoError(f"demo manager not created: {added.stderr.strip()}")
        return email, password

    def failed(self) -> Child | None:
        return next((c for c in self.children if not c.running()), None)

    def stop(self) -> None:
        """Simulator first (SIGINT: agents say offline), then collector, then broker."""
        for child in reversed(self.children):
            sig = signal.SIGINT if child.name == "simulator" else signal.SIGTERM
            code = child.stop(sig)
            clean = code in (0, -sig, 128 + sig)
            print(f"demo: {child.name} stopped" + ("" if clean else f" (exit {code})"), flush=True)
        self.children = []


def banner(
    url: str,
    args: argparse.Namespace,
    state: Path,
    viewer_token: str,
    manager: tuple[str, str] | None = None,
    *,
    qr_link: str | None = None,
    centre_url: str = "",
) -> str:
    login = (
        [f"  Manager      {url}/login  {manager[0]} / {manager[1]}"] if manager is not None else []
    )
    if qr_link is not None:
        login.append(f"  Counter QR   {qr_link}  (the citizen's form; codes in state/qr)")
    return "\n".join(
        [
            "",
            "=" * 72,
            f"  Citizen Feedback demo: {args.devices} counters in Chiang Mai, x{args.speed:g}",
            f"  Office map   {url}/",
            f"  Fleet        {url}/fleet#token={viewer_token}",
            f"  Viewer token {viewer_token}  (fleet page and API, expires in a day)",
            f"  Services     {url}/services  (search: {url}/services?q=สมรส)",
            f"  API          {url}/api/v1/offices  {url}/api/v1/devices  {url}/openapi.json",
            *login,
            *(
                [f"  1111 centre  {centre_url}  (fake: complaints it received)"]
                if centre_url
                else []
            ),
            f"  State, logs  {state}",
            "  Ctrl-C stops everything.",
            "=" * 72,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    demo = Demo(args)
    code = 0
    try:
        url = demo.start()
        print(
            banner(
                url,
                args,
                demo.state,
                demo.viewer_token,
                demo.manager,
                qr_link=demo.qr_link,
                centre_url=demo.centre_url,
            ),
            flush=True,
        )
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while not stop.wait(0.5):
            if deadline is not None and time.monotonic() >= deadline:
                break
            dead = demo.failed()
            if dead is not None:
                print(
                    f"demo: {dead.name} exited with {dead.process.returncode}\n{dead.log_tail()}",
                    file=sys.stderr,
                )
                code = 1
                break
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        code = 1
    finally:
        if demo.children:
            print("demo: stopping", flush=True)
        demo.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
