"""Run Debian's promtool (package ``prometheus``, installed by scripts/setup.sh)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def promtool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: apt-get install prometheus (scripts/setup.sh does)"
    return subprocess.run(
        [binary, *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
