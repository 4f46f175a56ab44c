"""The demo's parts, started in order and stopped in reverse."""

from __future__ import annotations

import argparse
import signal

from demo_services import DemoServicesError, load_demo_services
from process_group import Child

from demo_parts.centre import start_centre
from demo_parts.collector_cli import add_manager, create_token, qr_link
from demo_parts.readiness import DemoError, free_port, port_free, wait_registered
from demo_parts.stack import (
    collector_env,
    fresh_state,
    start_broker,
    start_collector,
    start_simulator,
)


class Demo:
    """The broker, the fake 1111 centre, the collector and the simulator (children, in order)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.viewer_token = ""
        self.args = args
        self.state = args.state_dir.resolve()
        self.children: list[Child] = []
        self.manager: tuple[str, str] | None = None
        self.qr_link: str | None = None
        self.manager_offices: list[str] = []
        self.centre_url = ""

    def start(self) -> str:
        """Start every part; the collector's URL."""
        args, state = self.args, self.state
        logs = fresh_state(state)
        mqtt_port = args.mqtt_port or free_port()
        http_port = args.http_port
        if http_port == 0 or not port_free(http_port):
            http_port = free_port()
        mqtt_url = start_broker(mqtt_port, state, logs, self.children)
        env = collector_env(state, mqtt_url, http_port)
        centre = start_centre(http_port, logs, self.children)
        self.centre_url = centre.url
        env.update(centre.collector_env)
        token_file = state / "technician.token"
        token_file.touch(mode=0o600)
        technician = create_token(env, "technician", "demo")
        token_file.write_text(technician + "\n", encoding="utf-8")
        self.viewer_token = create_token(env, "viewer", "demo fleet page")
        url = start_collector(env, logs, self.children)
        simulator = start_simulator(
            mqtt_url=mqtt_url,
            url=url,
            token_file=token_file,
            devices=args.devices,
            speed=args.speed,
            workdir=state / "counters",
            extra=args.sim_arg,
        )
        self.children.append(simulator)
        try:
            print("demo: services " + load_demo_services(url, technician), flush=True)
        except DemoServicesError as exc:
            raise DemoError(f"service catalogue: {exc}") from exc
        self.manager_offices = wait_registered(url, simulator, args.devices)
        self.manager = add_manager(env, self.manager_offices)
        self.qr_link = qr_link(env, self.manager_offices[0], state / "qr")
        return url

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
