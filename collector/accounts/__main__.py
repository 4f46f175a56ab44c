"""``python -m collector.accounts add-person``: a person with a password, for set-up and demos.

The password is read from standard input (never an argument: it would show in ``ps``). In
production people get a set-password link by email instead (``POST /api/v1/people``).

    printf '%s' "$PASSWORD" | python -m collector.accounts add-person \\
        --email m@example.go.th --role manager --agency dopa --office cm-mae-rim-dol
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import ValidationError

from collector.accounts.passwords import hash_password, policy_problem
from collector.accounts.people import AccountError, PersonIn, check_person, insert_person
from collector.accounts.principal import PersonRole
from collector.config import load_settings
from collector.errors import CollectorError
from collector.storage import open_driver


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m collector.accounts")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-person", help="add a person; the password comes from stdin")
    add.add_argument("--email", required=True)
    add.add_argument("--first-name", default="Demo")
    add.add_argument("--last-name", default="Person")
    add.add_argument("--role", required=True, choices=[r.value for r in PersonRole])
    add.add_argument("--agency", default=None, help="agency id (agency_admin, manager)")
    add.add_argument("--office", action="append", default=[], help="office id (manager)")
    return parser


async def _add(args: argparse.Namespace, password: str) -> str:
    try:
        person = PersonIn(
            email=args.email,
            first_name=args.first_name,
            last_name=args.last_name,
            role=PersonRole(args.role),
            agency_id=args.agency,
            office_ids=args.office,
        )
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        raise CollectorError(f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    problem = policy_problem(password, person.email)
    if problem:
        raise CollectorError(f"password (stdin): {problem}")
    driver = await open_driver(load_settings())
    try:
        await check_person(driver, person)
        async with driver.transaction() as tx:
            person_id = await insert_person(tx, person)
            await tx.execute(
                "UPDATE people SET password_hash = ? WHERE person_id = ?",
                hash_password(password),
                person_id,
            )
        return person_id
    except AccountError as exc:
        raise CollectorError(f"{exc.field}: {exc.key}") from None
    finally:
        await driver.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        password = sys.stdin.readline().rstrip("\n")
        print(asyncio.run(_add(args, password)))
    except CollectorError as exc:
        print(f"collector.accounts: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
