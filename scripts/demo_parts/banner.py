"""What the demo prints once everything runs: the links, the tokens and the manager's login."""

from __future__ import annotations

import argparse
from pathlib import Path


def banner(
    url: str,
    args: argparse.Namespace,
    state: Path,
    viewer_token: str,
    manager: tuple[str, str] | None = None,
    *,
    qr_link: str | None = None,
    centre_url: str = "",
) -> str:
    login = (
        [f"  Manager      {url}/login  {manager[0]} / {manager[1]}"] if manager is not None else []
    )
    if qr_link is not None:
        login.append(f"  Counter QR   {qr_link}  (the citizen's form; codes in state/qr)")
    return "\n".join(
        [
            "",
            "=" * 72,
            f"  Citizen Feedback demo: {args.devices} counters in Chiang Mai, x{args.speed:g}",
            f"  Office map   {url}/",
            f"  Fleet        {url}/fleet#token={viewer_token}",
            f"  Viewer token {viewer_token}  (fleet page and API, expires in a day)",
            f"  Services     {url}/services  (search: {url}/services?q=สมรส)",
            f"  API          {url}/api/v1/offices  {url}/api/v1/devices  {url}/openapi.json",
            *login,
            *(
                [f"  1111 centre  {centre_url}  (fake: complaints it received)"]
                if centre_url
                else []
            ),
            f"  State, logs  {state}",
            "  Ctrl-C stops everything.",
            "=" * 72,
            "",
        ]
    )
