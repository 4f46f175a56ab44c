"""``python -m collector qr --office ID --out DIR`` and ``python -m collector qr-keys``.

``qr`` writes one SVG and one PNG per counter of the office (counters: the labels of its
registered devices) and prints one line per counter with its link. ``qr-keys list`` shows the
signing keys; ``qr-keys rotate [--grace-days N]`` makes a new signing key, older codes stay
valid for N days (default ``CF_QR_KEY_GRACE_DAYS``). Exit 1 with one line on any problem.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from collector.config import Settings
from collector.feedback import keys, qr
from collector.feedback.counters import office_counters
from collector.feedback.settings import FeedbackSettings, load_feedback_settings
from collector.storage import open_driver


def add_parser(sub: Any) -> None:
    p = sub.add_parser("qr", help="write the QR codes (SVG, PNG) of an office's counters")
    p.add_argument("--office", required=True, help="the office id")
    p.add_argument("--out", required=True, type=Path, help="directory for the files")
    k = sub.add_parser("qr-keys", help="the QR signing keys: list, rotate")
    ksub = k.add_subparsers(dest="qr_keys_command", required=True)
    ksub.add_parser("list", help="key ids, when made, accepted until")
    rot = ksub.add_parser("rotate", help="a new signing key (old codes valid for a grace period)")
    rot.add_argument("--grace-days", type=int, default=None, help="days old codes stay valid")


async def _links(settings: Settings, fb: FeedbackSettings, office: str) -> list[tuple[str, str]]:
    """(counter label, signed link) for each counter of ``office``."""
    driver = await open_driver(settings)
    try:
        if await driver.fetchrow("SELECT 1 FROM offices WHERE office_id = ?", office) is None:
            raise LookupError(f"--office: no office {office}")
        counters = await office_counters(driver, office)
        if not counters:
            raise LookupError(f"--office: office {office} has no counter with a device")
        signer = keys.Signer(driver, fb)
        return [
            (label, qr.form_url(fb.public_url, await signer.issue(office, label)))
            for label in counters
        ]
    finally:
        await driver.close()


def _write(office: str, links: list[tuple[str, str]], out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for label, url in links:
        stem = out / qr.file_stem(office, label)
        stem.with_suffix(".svg").write_text(qr.svg(url), encoding="utf-8")
        stem.with_suffix(".png").write_bytes(qr.png(url))
        lines.append(f"{label}\t{stem}.svg\t{stem}.png\t{url}")
    return lines


async def _keys(settings: Settings, fb: FeedbackSettings, args: argparse.Namespace) -> list[str]:
    driver = await open_driver(settings)
    try:
        if args.qr_keys_command == "rotate":
            grace = fb.qr_key_grace_days if args.grace_days is None else args.grace_days
            if grace < 0:
                raise ValueError("--grace-days: must be 0 or more")
            await keys.rotate(driver, grace)
        else:
            await keys.signing_key_id(driver)
        return [
            f"{k.key_id}\t{'signing' if k.accept_until_ms is None else 'accepted until'}"
            f"\t{k.accept_until_ms or ''}"
            for k in await keys.list_keys(driver)
        ]
    finally:
        await driver.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        fb = load_feedback_settings()
        if args.command == "qr":
            links = asyncio.run(_links(settings, fb, args.office))
            lines = _write(args.office, links, args.out)
        else:
            lines = asyncio.run(_keys(settings, fb, args))
    except (LookupError, ValueError) as exc:
        print(f"collector {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"collector {args.command}: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0
