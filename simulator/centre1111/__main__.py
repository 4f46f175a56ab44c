"""``python -m simulator.centre1111 --port P --secret S --callback-url URL``: the fake centre."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from simulator.centre1111.server import CentreServer, CentreState


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.centre1111", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True, help="the shared HMAC secret")
    parser.add_argument("--callback-url", default="", help="the collector's callback endpoint")
    parser.add_argument(
        "--auto-accept",
        type=float,
        default=None,
        metavar="S",
        help="call back 'accepted' S seconds after each new case (the demo)",
    )
    args = parser.parse_args(argv)
    try:
        state = CentreState(args.secret, args.callback_url, auto_accept_s=args.auto_accept)
        server = CentreServer((args.host, args.port), state)
    except OSError as exc:
        print(f"centre1111: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"centre1111: listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
