"""``python -m protocols``: validate one payload for a topic, or print the schema.

python -m protocols validate --topic cf/v1/devices/cm-x-c01/events < payload.json
python -m protocols schema [--format asyncapi|jsonschema]
python -m protocols day-keys --pepper-file F [--from YYYY-MM-DD] [--days N] > keys.json
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from protocols.codec import decode
from protocols.day_keys import make_day_keys
from protocols.errors import ProtocolError
from protocols.identifiers import now
from protocols.schema import asyncapi, json_schemas


def _message_type(message: object) -> str:
    kind = getattr(message, "type", None)
    return str(kind) if kind is not None else type(message).__name__.lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m protocols", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="validate one payload read from stdin")
    validate.add_argument("--topic", required=True, help="the MQTT topic the payload is for")
    schema = sub.add_parser("schema", help="print the contract as AsyncAPI 3 or JSON Schemas")
    schema.add_argument("--format", choices=["asyncapi", "jsonschema"], default="asyncapi")
    keys = sub.add_parser("day-keys", help="derive a device's day-key file from the pepper")
    keys.add_argument("--pepper-file", required=True, type=Path, help="32+ raw bytes, or 64+ hex")
    keys.add_argument("--from", dest="first", type=date.fromisoformat, default=None)
    keys.add_argument("--days", type=int, default=7)
    args = parser.parse_args(argv)

    if args.command == "day-keys":
        return _day_keys(args.pepper_file, args.first or now().date(), args.days)

    if args.command == "validate":
        payload = sys.stdin.buffer.read()
        try:
            message = decode(args.topic, payload)
        except ProtocolError as exc:
            print(f"invalid: {exc.code}: {exc.reason}")
            return 1
        print(_message_type(message))
        return 0
    document = asyncapi() if args.format == "asyncapi" else json_schemas()
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _day_keys(pepper_file: Path, first: date, days: int) -> int:
    try:
        raw = pepper_file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read pepper file {pepper_file}: {exc.strerror}", file=sys.stderr)
        return 2
    text = raw.strip()
    try:
        pepper = bytes.fromhex(text.decode("ascii")) if len(text) >= 64 else raw
    except (UnicodeDecodeError, ValueError):
        pepper = raw
    try:
        document = make_day_keys(pepper, first, days)
    except ValueError as exc:
        print(f"error: {pepper_file}: {exc}", file=sys.stderr)
        return 2
    print(document.dumps())
    return 0


if __name__ == "__main__":
    sys.exit(main())
