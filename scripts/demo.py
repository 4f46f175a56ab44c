"""``make demo``: a private broker, the collector on SQLite and a simulated fleet, on loopback.

Starts, each in its own process group: Mosquitto (from firmware-config's template, plain MQTT
on 127.0.0.1), the collector (SQLite in the state directory), and ``python -m simulator``
(the real agent code, many counters), then prints the URL of the web pages. Ctrl-C (SIGINT) or
SIGTERM stops the simulator first (every agent publishes ``offline``), then the collector, then
the broker, and leaves no process behind. Options come from arguments or ``DEMO_*`` variables.
The parts live in ``scripts/demo_parts/`` (one job a module); this file runs them.

    python scripts/demo.py [--devices 20] [--speed 60] [--http-port 8080] [--mqtt-port 0]
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType

from demo_parts.banner import banner
from demo_parts.options import parse_args
from demo_parts.readiness import DemoError
from demo_parts.run import Demo


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, __doc__.split("\n")[0])
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
