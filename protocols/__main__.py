"""``python -m protocols``: validate one payload for a topic, or print the schema.

python -m protocols validate --topic cf/v1/devices/cm-x-c01/events < payload.json
python -m protocols schema [--format asyncapi|jsonschema]
python -m protocols day-keys --pepper-file F --office ID [--from YYYY-MM-DD] [--days 1|2] > k.json
python -m protocols day-keys --pepper-file F --scheme cf1 [--from D] [--days N]  (old devices only)
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from protocols.codec import decode
from protocols.day_keys import make_day_keys, parse_pepper
from protocols.errors import ProtocolError
from protocols.identifiers import is_valid_id, now
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
    keys.add_argument(
        "--scheme",
        choices=["cf2", "cf1"],
        default="cf2",
        help="cf2 (default, per office, needs --office); cf1 only for devices not yet moved",
    )
    keys.add_argument("--office", default=None, help="the device's office_id (cf2)")
    keys.add_argument("--from", dest="first", type=date.fromisoformat, default=None)
    keys.add_argument("--days", type=int, default=None, help="default: 2 for cf2, 7 for cf1")
    args = parser.parse_args(argv)

    if args.command == "day-keys":
        return _day_keys(args)

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


def _day_keys(args: argparse.Namespace) -> int:
    if args.scheme == "cf2" and (args.office is None or not is_valid_id(args.office)):
        print("error: --office: cf2 needs the device's office_id (a valid id)", file=sys.stderr)
        return 2
    if args.scheme == "cf1" and args.office is not None:
        print("error: --office: cf1 keys are deployment-wide; drop --office", file=sys.stderr)
        return 2
    days = args.days if args.days is not None else (2 if args.scheme == "cf2" else 7)
    pepper = _read_pepper(args.pepper_file)
    if pepper is None:
        return 2
    try:
        document = make_day_keys(pepper, args.first or now().date(), days, office=args.office)
    except ValueError as exc:
        print(f"error: {args.pepper_file}: {exc}", file=sys.stderr)
        return 2
    print(document.dumps())
    return 0


def _read_pepper(pepper_file: Path) -> bytes | None:
    try:
        raw = pepper_file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read pepper file {pepper_file}: {exc.strerror}", file=sys.stderr)
        return None
    return parse_pepper(raw)


if __name__ == "__main__":
    sys.exit(main())
