"""``python -m simulator``: a fleet of simulated counters against a real broker/collector.

Prints a status line every few seconds; Ctrl-C (or SIGTERM) stops every agent cleanly (each
publishes ``offline``) and exits 0. Errors are one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType

from agent.errors import AgentError
from simulator.fleet import Fleet, FleetOptions, FleetStatus
from simulator.mass import cli as mass_cli

_LOGGER = logging.getLogger(__name__)

TOKEN_ENV = "CF_SIMULATE_TOKEN"  # noqa: S105 (a variable name, not a secret)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mqtt-url", required=True, help="broker, mqtt://host:port (plain MQTT)")
    parser.add_argument(
        "--collector-url",
        help="collector base URL (e.g. http://127.0.0.1:8080): offices and devices are "
        "registered there first; omit to only publish",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        help=f"file holding a technician or ops API token (default: ${TOKEN_ENV})",
    )
    parser.add_argument("--devices", type=int, default=20, help="number of counters (20)")
    parser.add_argument(
        "--speed", type=float, default=60.0, help="simulated seconds per real second (60)"
    )
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="simulated start, RFC 3339 with offset (default: 08:20 ICT, last working day)",
    )
    parser.add_argument("--workdir", type=Path, help="outboxes go here (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--scale", type=int, choices=[3, 4, 5], default=5, help="buttons (5)")
    parser.add_argument(
        "--outage-after",
        type=float,
        default=15.0,
        help="real seconds until the last counter's uplink is cut (15; negative: never)",
    )
    parser.add_argument("--outage-for", type=float, default=120.0, help="real seconds (120)")
    parser.add_argument(
        "--fault-after",
        type=float,
        default=25.0,
        help="real seconds until a card reader fails (25; negative: never)",
    )
    parser.add_argument("--fault-for", type=float, default=90.0, help="real seconds (90)")
    parser.add_argument("--status-every", type=float, default=5.0, help="seconds (5)")
    parser.add_argument("--duration", type=float, help="stop after this many real seconds")
    parser.add_argument("--log-level", default="WARNING")
    mass_cli.add_arguments(parser)


def _token(path: Path | None) -> str | None:
    if path is None:
        return os.environ.get(TOKEN_ENV) or None
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise AgentError(f"--token-file {path}: cannot read: {exc.strerror}") from None


def _options(args: argparse.Namespace, workdir: Path) -> FleetOptions:
    if args.start is not None and args.start.tzinfo is None:
        raise AgentError("--start: needs an explicit offset, e.g. 2026-11-24T08:00:00+07:00")
    if args.speed < 1:
        raise AgentError("--speed: at least 1")
    return FleetOptions(
        mqtt_url=args.mqtt_url,
        workdir=workdir,
        devices=args.devices,
        speed=args.speed,
        collector_url=args.collector_url,
        token=_token(args.token_file),
        start=args.start,
        seed=args.seed,
        scale=args.scale,
        outage_after_s=args.outage_after if args.outage_after >= 0 else None,
        outage_for_s=args.outage_for,
        fault_after_s=args.fault_after if args.fault_after >= 0 else None,
        fault_for_s=args.fault_for,
    )


def _print_status(status: FleetStatus, speed: float) -> None:
    print(status.line(speed), flush=True)


def run(args: argparse.Namespace) -> int:
    if args.mass is not None:
        return mass_cli.run(args, _token(args.token_file))
    stop = threading.Event()
    driving = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        # Before the agents start there is nothing to stop cleanly: give up at once.
        if not driving:
            raise KeyboardInterrupt
        _LOGGER.info("signal %s: stopping the fleet", signum)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with tempfile.TemporaryDirectory(prefix="cf-simulate-") as tmp:
        workdir = args.workdir or Path(tmp)
        fleet = Fleet(_options(args, workdir))
        fleet.enrol()
        print(
            f"simulating {len(fleet.sites)} counters at "
            f"{len({s.office.office_id for s in fleet.sites})} district offices of Chiang Mai, "
            f"from {fleet.clock.start:%Y-%m-%d %H:%M} ICT at x{args.speed:g}; Ctrl-C stops",
            flush=True,
        )
        driving = True
        try:
            fleet.start()
            fleet.run(
                stop,
                report=lambda s: _print_status(s, args.speed),
                report_every_s=args.status_every,
                duration_s=args.duration,
            )
        finally:
            fleet.stop()
    print("simulator stopped: every agent published offline", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return run(args)
    except AgentError as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
