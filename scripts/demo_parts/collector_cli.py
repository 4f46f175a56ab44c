"""What the demo asks ``python -m collector``: API tokens, the demo manager, a counter's QR link."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

from demo_parts.places import PYTHON, ROOT
from demo_parts.readiness import DemoError

DEMO_MANAGER = "demo.manager@example.go.th"


def _run(
    module_args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", *module_args],
        input=stdin, env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def create_token(env: dict[str, str], role: str, name: str) -> str:
    """A new API token from ``python -m collector token create`` (expires after a day)."""
    made = _run(
        ["collector", "token", "create", "--role", role, "--name", name, "--expires-days", "1"],
        env,
    )
    if made.returncode != 0:
        raise DemoError(f"collector token create --role {role} failed: {made.stderr.strip()}")
    return made.stdout.strip()


def add_manager(env: dict[str, str], offices: list[str]) -> tuple[str, str]:
    """A manager of ``offices`` with a new password; (email, password)."""
    email, password = DEMO_MANAGER, secrets.token_urlsafe(12)
    office_args = [arg for office in offices for arg in ("--office", office)]
    added = _run(
        ["collector.accounts", "add-person", "--email", email,
         "--first-name", "ผู้จัดการ", "--last-name", "ตัวอย่าง", "--role", "manager",
         "--agency", "dopa", *office_args],
        env,
        stdin=password + "\n",
    )  # fmt: skip
    if added.returncode != 0:
        raise DemoError(f"demo manager not created: {added.stderr.strip()}")
    return email, password


def qr_link(env: dict[str, str], office: str, out: Path) -> str:
    """The feedback form link of ``office``'s first counter (its QR files go to ``out``)."""
    made = _run(["collector", "qr", "--office", office, "--out", str(out)], env)
    if made.returncode != 0 or not made.stdout.strip():
        raise DemoError(f"collector qr --office {office} failed: {made.stderr.strip()}")
    return made.stdout.splitlines()[0].split("\t")[-1]
