"""``python -m simulator --mass N``: N devices on one asyncio loop (see :mod:`simulator.mass`).

Status every ``--status-every`` seconds (``--status-json``: one JSON object a line, for
benchmarks); SIGINT/SIGTERM or ``--duration`` stop producing, wait for the last acks, publish
``offline`` on every device and print a final line ``final {...}``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from agent.errors import AgentError
from simulator.mass.device import Broker
from simulator.mass.fleet import MassFleet, MassStatus
from simulator.mass.limits import check_nofile, raise_nofile
from simulator.offices import place_counters
from simulator.registration import CollectorApi

_LOGGER = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("mass mode (--mass N)")
    group.add_argument(
        "--mass",
        type=int,
        metavar="N",
        help="N wire-level devices on one asyncio loop instead of real agents (thousands)",
    )
    group.add_argument(
        "--ratings-per-hour", type=float, default=12.0, help="per counter, Poisson (12)"
    )
    group.add_argument("--heartbeat-s", type=float, default=60.0, help="seconds (60)")
    group.add_argument(
        "--jitter", type=float, default=10.0, help="first reconnect within this many s (10)"
    )
    group.add_argument(
        "--connect-per-s", type=float, default=1000.0, help="start-up ramp, devices/s (1000)"
    )
    group.add_argument("--status-json", action="store_true", help="status lines as JSON")


def _broker(args: argparse.Namespace) -> Broker:
    parts = urlsplit(args.mqtt_url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise AgentError(f"--mqtt-url {args.mqtt_url!r}: expected mqtt://host:port")
    if args.jitter < 0:
        raise AgentError("--jitter: at least 0")
    return Broker(parts.hostname, parts.port or 1883, jitter_s=args.jitter)


def _register(args: argparse.Namespace, token: str | None, count: int) -> list[str]:
    """Device ids (``<office>-cNN``); registered at the collector when a URL is given."""
    sites = place_counters(count)
    if args.collector_url:
        api = CollectorApi(args.collector_url, token)
        api.wait_ready()
        offices = {s.office.office_id: s.office for s in sites}
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(api.put_office, offices.values()))
            list(pool.map(api.put_device, sites))
        print(f"registered {len(offices)} offices and {len(sites)} devices", flush=True)
    return [s.device_id for s in sites]


def run(args: argparse.Namespace, token: str | None) -> int:
    if args.mass < 1:
        raise AgentError("--mass: at least 1 device")
    broker = _broker(args)
    raise_nofile(args.mass)
    problem = check_nofile(args.mass)
    if problem:
        raise AgentError(problem)
    ids = _register(args, token, args.mass)
    return asyncio.run(_main(args, broker, ids))


async def _main(args: argparse.Namespace, broker: Broker, ids: list[str]) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    fleet = MassFleet(
        ids,
        broker,
        ratings_per_hour=args.ratings_per_hour,
        heartbeat_s=args.heartbeat_s,
        connect_per_s=args.connect_per_s,
        seed=args.seed,
    )

    def show(status: MassStatus) -> None:
        print(status.json() if args.status_json else status.line(), flush=True)

    print(f"mass mode: {len(ids)} devices on {args.mqtt_url}; Ctrl-C stops", flush=True)
    await fleet.start()
    waited = 0.0
    while not stop.is_set():
        show(fleet.status())
        try:
            await asyncio.wait_for(stop.wait(), args.status_every)
        except TimeoutError:
            waited += args.status_every
            if args.duration is not None and waited >= args.duration:
                break
    final = await fleet.stop()
    print("final " + final.json(), flush=True)
    return 0
