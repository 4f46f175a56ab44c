"""``python -m collector services import FILE [--dry-run]``: load a catalogue file.

Exit 0 with one summary line; exit 1 with one line per problem (``FILE: place: problem``) and
nothing written.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from collector.config import Settings
from collector.services.reader import ImportProblemsError, read_catalogue
from collector.services.store import ImportReport, import_catalogue
from collector.storage import open_driver


def add_parser(sub: Any) -> None:
    services = sub.add_parser("services", help="the service catalogue")
    services_sub = services.add_subparsers(dest="services_command", required=True)
    imp = services_sub.add_parser(
        "import", help="import services, office hours and offerings (JSON or .csv)"
    )
    imp.add_argument("file", type=Path, help="a JSON or CSV file (schema: collector/README.md)")
    imp.add_argument("--dry-run", action="store_true", help="check everything, write nothing")


async def _import(settings: Settings, data: bytes, name: str, dry_run: bool) -> ImportReport:
    catalogue = read_catalogue(data, name)
    driver = await open_driver(settings)
    try:
        return await import_catalogue(driver, catalogue, dry_run=dry_run)
    finally:
        await driver.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"{path}: cannot read ({exc.strerror})", file=sys.stderr)
        return 1
    try:
        report = asyncio.run(_import(settings, data, path.name, args.dry_run))
    except ImportProblemsError as exc:
        for problem in exc.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(f"{path}: nothing imported ({len(exc.problems)} problem(s))", file=sys.stderr)
        return 1
    print(report.line())
    return 0
