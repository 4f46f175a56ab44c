"""``python -m collector.ingest_worker INDEX``: one extra ingest process (ingest/workers.py).

No HTTP: the main process serves it. Prints ``ready`` once its subscription is granted, and its
counters for the main process's ``/metrics`` (``ingest/worker_counters.py``); SIGTERM
commits what it holds and exits; it exits by itself when its parent (``CF_PARENT_PID``) is gone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from collector.config import load_settings
from collector.errors import CollectorError
from collector.ingest.decode_pool import exit_with_parent
from collector.ingest.subscriber import wait_ready
from collector.ingest.worker_counters import CounterReporter
from collector.runtime import Collector

_LOGGER = logging.getLogger("collector.ingest_worker")


async def serve(index: int) -> None:
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level,
        format=f"%(asctime)s %(levelname)s %(name)s[w{index}]: %(message)s",
    )
    collector = Collector(settings, worker_index=index)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    reporter = CounterReporter(collector.metrics.registry)
    await collector.start()
    reporter.start()
    try:
        assert collector.subscriber is not None
        while not await wait_ready(collector.subscriber, 5.0):
            if stop.is_set():
                return
        print("ready", flush=True)
        await stop.wait()
    finally:
        await collector.stop()
        await reporter.stop()  # the last counts, after the last commit


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m collector.ingest_worker INDEX", file=sys.stderr)
        return 2
    parent = os.environ.get("CF_PARENT_PID")
    if parent and parent.isdigit():
        exit_with_parent(int(parent))
    try:
        asyncio.run(serve(int(argv[0])))
    except CollectorError as exc:
        print(f"collector worker {argv[0]}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
