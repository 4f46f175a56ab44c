"""Loading of the golden payloads under tests/protocols/golden/ (valid and invalid)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


@dataclass(frozen=True)
class Vector:
    name: str
    topic: str
    payload: bytes
    expect_type: str | None = None
    expect_code: str | None = None
    expect_reason: str | None = None


def _load(path: Path) -> Vector:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if "payload_base64" in doc:
        payload = base64.b64decode(doc["payload_base64"])
    else:
        payload = json.dumps(doc["payload"], ensure_ascii=False).encode("utf-8")
    return Vector(
        name=path.stem,
        topic=doc["topic"],
        payload=payload,
        expect_type=doc.get("expect_type"),
        expect_code=doc.get("expect_code"),
        expect_reason=doc.get("expect_reason"),
    )


def vectors(kind: str) -> list[Vector]:
    return [_load(p) for p in sorted((GOLDEN / kind).glob("*.json"))]
