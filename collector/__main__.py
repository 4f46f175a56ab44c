"""``python -m collector``: run ingest and the HTTP API together; ``token``; ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from collector import token_cli
from collector.config import Settings, env_help, load_settings
from collector.errors import CollectorError
from collector.feedback import cli as feedback_cli
from collector.services import cli as services_cli
from collector.storage import open_driver

_LOGGER = logging.getLogger("collector")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m collector",
        description="Citizen Feedback collector: MQTT ingest, storage and HTTP API.",
        epilog="environment variables:\n" + env_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run ingest and the HTTP server (the default)")
    sub.add_parser("migrate", help="bring the database schema up to date and exit")
    token_cli.add_parser(sub)
    services_cli.add_parser(sub)
    feedback_cli.add_parser(sub)
    return parser


def _run(settings: Settings) -> None:
    asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> None:
    """Start ingest first, then import and serve HTTP: a collector restarting after an outage
    drains its backlog while the HTTP stack (about a second of imports) loads in a thread."""
    # Imported here: the decode worker (multiprocessing spawn) re-imports this module as
    # __mp_main__, and the HTTP stack (uvicorn, FastAPI, limits) would only slow its start.
    from collector.cases.settings import check_case_settings  # noqa: PLC0415
    from collector.runtime import Collector  # noqa: PLC0415

    check_case_settings()  # a bad CF_CASES_* value: one line, before anything starts
    stop = _StopRequest()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop.handle)
    collector = Collector(settings)
    await collector.start()
    try:
        server = await asyncio.to_thread(_http_server, settings, collector)
        stop.server = server
        if not stop.requested:
            await server.serve()  # uvicorn handles SIGTERM/SIGINT while it serves
    finally:
        await collector.stop()


def _http_server(settings: Settings, collector: Any) -> Any:
    import uvicorn  # noqa: PLC0415

    from collector.api.app import create_app  # noqa: PLC0415

    app = create_app(settings, collector=collector)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        access_log=False,
        lifespan="on",
    )
    return uvicorn.Server(config)


class _StopRequest:
    """SIGTERM/SIGINT before (or after) uvicorn serves: stop instead of dying mid-commit."""

    def __init__(self) -> None:
        self.requested = False
        self.server: Any = None

    def handle(self, _signum: int, _frame: object) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True


async def _migrate(settings: Settings) -> None:
    driver = await open_driver(settings)
    await driver.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(
            level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        if args.command == "migrate":
            asyncio.run(_migrate(settings))
        elif args.command in ("qr", "qr-keys"):
            return feedback_cli.run(args, settings)
        elif args.command == "services":
            return services_cli.run(args, settings)
        elif args.command == "token":
            print(asyncio.run(token_cli.run(args, settings)))
        else:
            _run(settings)
    except CollectorError as exc:
        print(f"collector: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
