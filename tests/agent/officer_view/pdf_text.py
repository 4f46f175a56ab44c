"""What a printed PDF says, for comparisons that survive text extraction of shaped Thai.

pdftotext gives back shaped Thai with marks moved or split (SARA AM as NIKHAHIT + SARA AA, a
tone mark after the following consonant, spaces between clusters). ``skeleton`` keeps the base
letters in order and drops spaces, combining marks and the split SARA AM, on both sides; a
tone mark that came back as a symbol (an apostrophe, a dollar sign: anything not a letter,
digit or dot); and a cluster repeated right after itself (the
CUPS PostScript step maps a ligature glyph of "ช้" back to the cluster twice).
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def skeleton(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(
        ch
        for ch in decomposed
        if (ch.isalnum() or ch == ".")
        and unicodedata.category(ch) != "Mn"
        and ch not in "\u0e32\u0e33"
    )
    return re.sub(r"([\u0e00-\u0e7f]{2})\1", r"\1", bare)


def page_count(path: Path) -> int:
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True)
    for line in done.stdout.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo shows no page count")
