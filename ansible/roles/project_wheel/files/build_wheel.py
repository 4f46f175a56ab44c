"""Build the citizen-feedback wheel on the Ansible control node, reproducibly.

The sources are copied to a fresh temporary directory first, so a stale ``build/`` in the checkout
never leaks old modules into the wheel, and ``SOURCE_DATE_EPOCH`` pins the zip timestamps, so an
unchanged checkout gives a byte-identical wheel and the copy to the hosts reports no change.

Only what a host runs goes in: ``simulator/`` (the fleet simulator and the virtual Thai ID card,
development tools that must never be on a counter) is not copied, and a wheel that still holds any
of it is refused.

Usage: build_wheel.py SOURCE_DIR OUT_DIR. Prints ``built PATH`` or ``unchanged PATH``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# What hosts run; `simulator/` (development only) is deliberately not in this list.
_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "protocols", "agent", "collector")
_DEV_ONLY = ("simulator/",)
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
_EPOCH = "1767225600"  # 2026-01-01: fixed, so the wheel depends on the sources only


def _source_digest(source: Path) -> str:
    """A digest of every file that goes into the wheel (names and contents)."""
    digest = hashlib.sha256()
    for name in _SOURCES:
        root = source / name
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def dev_only_files(wheel: Path) -> list[str]:
    """The files of ``wheel`` that belong to development tools (empty for a wheel fit to ship)."""
    with zipfile.ZipFile(wheel) as archive:
        return [name for name in archive.namelist() if name.startswith(_DEV_ONLY)]


def build(source: Path, out_dir: Path) -> tuple[bool, Path]:
    """Build into ``out_dir``; return (whether the wheel there changed, its path)."""
    digest = _source_digest(source)
    stamp = out_dir / "sources.sha256"
    wheels = sorted(out_dir.glob("citizen_feedback-*.whl"))
    if len(wheels) == 1 and stamp.exists() and stamp.read_text().strip() == digest:
        return False, wheels[0]  # same sources: the same wheel, no need to build it again
    with tempfile.TemporaryDirectory(prefix="cf-wheel-") as tmp:
        tree = Path(tmp, "src")
        tree.mkdir()
        for name in _SOURCES:
            path = source / name
            if path.is_dir():
                shutil.copytree(path, tree / name, ignore=_IGNORE)
            elif path.exists():
                shutil.copy2(path, tree / name)
        dist = Path(tmp, "dist")
        env = dict(os.environ, SOURCE_DATE_EPOCH=_EPOCH, PIP_NO_INPUT="1")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--quiet",
                "--wheel-dir",
                str(dist),
                str(tree),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            lines = [ln for ln in result.stderr.splitlines() if "error" in ln.lower()]
            raise RuntimeError(lines[0].strip() if lines else "pip wheel failed")
        (wheel,) = dist.glob("citizen_feedback-*.whl")
        leaked = dev_only_files(wheel)
        if leaked:
            raise RuntimeError(f"development module in the wheel: {leaked[0]}")
        target = out_dir / wheel.name
        out_dir.mkdir(parents=True, exist_ok=True)
        changed = not (target.exists() and target.read_bytes() == wheel.read_bytes())
        if changed:
            for old in out_dir.glob("citizen_feedback-*.whl"):
                old.unlink()
            shutil.copyfile(wheel, target)
        stamp.write_text(digest + "\n")
        return changed, target


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: build_wheel.py SOURCE_DIR OUT_DIR", file=sys.stderr)
        return 2
    try:
        changed, path = build(Path(argv[0]).resolve(), Path(argv[1]).resolve())
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"error: cannot build the wheel: {exc}", file=sys.stderr)
        return 1
    print(f"{'built' if changed else 'unchanged'} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
