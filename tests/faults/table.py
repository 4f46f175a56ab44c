"""The fault suite's result table: one row per fault, printed at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FaultRow:
    fault: str
    sent: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    crashes: int = 0
    note: str = ""


@dataclass
class FaultTable:
    rows: list[FaultRow] = field(default_factory=list)

    def add(self, row: FaultRow) -> FaultRow:
        self.rows.append(row)
        return row

    def render(self) -> str:
        head = ("fault", "sent", "stored", "lost", "duplicated", "crashes", "note")
        cells = [head] + [
            (
                r.fault,
                str(r.sent),
                str(r.stored),
                str(r.lost),
                str(r.duplicated),
                str(r.crashes),
                r.note,
            )
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(line.rstrip() for line in lines)
