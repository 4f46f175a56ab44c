"""Imports run one way, read from the source with ast (no import side effects).

- Nothing a counter runs (``agent``, ``protocols``) imports the development tools (``simulator``).
- ``agent`` and ``collector`` depend only on ``protocols``, not on each other.
- In the collector, storage knows nothing of ingest, the API or the pages; ingest knows nothing of
  the API or the pages; the shared record types import nothing of the collector.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

_ABOVE_INGEST = ("collector.api", "collector.web", "collector.runtime")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "protocols": ("agent", "collector", "simulator"),
    "agent": ("collector", "simulator"),
    "collector": ("agent", "simulator"),
    "collector/storage": (
        "collector.ingest",
        "collector.api",
        "collector.web",
        "collector.runtime",
    ),
    "collector/ingest": ("collector.api", "collector.web", "collector.runtime"),
    "collector/records.py": ("collector",),
}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports (at any depth, also inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(area: str) -> list[Path]:
    root = REPO / area
    return [root] if root.is_file() else sorted(root.rglob("*.py"))


def breaks(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("area", sorted(FORBIDDEN))
def test_imports_run_one_way(area: str) -> None:
    files = sources(area)
    assert files, f"{area}: no sources found"
    wrong = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in files
        for name in sorted(imported_modules(path))
        if any(breaks(name, prefix) for prefix in FORBIDDEN[area])
    ]
    assert wrong == []


def test_the_check_sees_a_back_arrow(tmp_path: Path) -> None:
    module = tmp_path / "store.py"
    module.write_text("def f():\n    from collector.ingest.batcher import x\n", encoding="utf-8")
    assert any(breaks(n, "collector.ingest") for n in imported_modules(module))
