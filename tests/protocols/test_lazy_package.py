"""``protocols/__init__.py`` resolves its names on first use: every exported name resolves to the
object of its submodule, and importing the pydantic-free parts builds no model."""

from __future__ import annotations

import subprocess
import sys

import protocols
from protocols import plain


def test_every_exported_name_resolves_to_its_home() -> None:
    homes = protocols._HOMES  # the table under test
    assert set(homes) == set(protocols.__all__)
    for name, module in homes.items():
        value = getattr(protocols, name)
        assert value is getattr(sys.modules[module], name), name
    assert protocols.now is plain.now
    assert protocols.Rating.__module__ == "protocols.events"


def test_the_plain_parts_import_no_pydantic() -> None:
    code = (
        "import sys, protocols.topics, protocols.plain, protocols.pseudonym, protocols.errors\n"
        "from protocols import now, new_message_id, topic, Channel\n"
        "print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
