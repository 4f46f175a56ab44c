"""``python -m protocols``: validate one payload for a topic, or print the schema.

    python -m protocols validate --topic cf/v1/devices/cm-x-c01/events < payload.json
    python -m protocols schema [--format asyncapi|jsonschema]
"""

from __future__ import annotations

import argparse
import json
import sys

from protocols.codec import decode
from protocols.errors import ProtocolError
from protocols.schema import asyncapi, json_schemas


def _message_type(message: object) -> str:
    kind = getattr(message, "type", None)
    return str(kind) if kind is not None else type(message).__name__.lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m protocols", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="validate one payload read from stdin")
    validate.add_argument("--topic", required=True, help="the MQTT topic the payload is for")
    schema = sub.add_parser("schema", help="print the contract as AsyncAPI 3 or JSON Schemas")
    schema.add_argument("--format", choices=["asyncapi", "jsonschema"], default="asyncapi")
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
