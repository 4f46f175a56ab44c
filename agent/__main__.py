"""``python -m agent run|check --config PATH``: the counter agent and the technician's check.

Errors are one line on stderr and a non-zero exit, never a traceback. The fleet simulator is
not part of the agent: it is ``python -m simulator`` (a development tool, never on a counter).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from agent.check_names import CHECK_NAMES
from agent.config import load_config
from agent.errors import AgentError
from agent.notify import Notifier
from agent.runtime import build_agent

_LOGGER = logging.getLogger("agent")


def _run(config_path: Path) -> int:
    config = load_config(config_path)
    agent = build_agent(config, config_path, notifier=Notifier())

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        _LOGGER.info("signal %s: stopping", signum)
        agent.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent.start()
    _LOGGER.info("agent %s running", config.device.id)
    try:
        agent.run()
    finally:
        agent.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the counter agent")
    run.add_argument("--config", type=Path, required=True)
    run.add_argument("--log-level", default="INFO")
    check = commands.add_parser("check", help="check this device, one line per check")
    check.add_argument("--config", type=Path, required=True)
    check.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=CHECK_NAMES,
        help="skip a check (repeatable), e.g. --skip gps on a counter without GPS",
    )
    check.add_argument("--timeout", type=float, default=10.0, help="seconds per waiting check")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(args, "log_level", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "run":
            return _run(args.config)
        # Imported here: ``run`` (all day on the counter) never needs the checks (~0.8 MB).
        from agent.checks import run_checks  # noqa: PLC0415

        return run_checks(args.config, skip=set(args.skip), timeout_s=args.timeout)
    except AgentError as exc:
        print(f"agent: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
