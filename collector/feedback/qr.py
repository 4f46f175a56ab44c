"""QR codes of counter links, drawn by segno (a maintained, dependency-free QR encoder).

SVG for the print page and files (sharp at any size), PNG for people who need a bitmap.
Error correction M: a printed sign survives scratches and still scans from a phone.
"""

from __future__ import annotations

import io

import segno

from collector.feedback.tokens import b64url


def form_url(public_url: str, token: str) -> str:
    return f"{public_url}/f/{token}"


def svg(url: str, scale: int = 6) -> str:
    """An inline-able SVG (no XML declaration), with a title for screen readers."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=scale, xmldecl=False, svgns=True, title=url, border=2
    )
    return out.getvalue().decode("utf-8")


def png(url: str, scale: int = 10) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def file_stem(office_id: str, counter_label: str) -> str:
    """A safe file name for any counter label (Thai included): the office and the label in
    base64url when it is not plain ASCII letters and digits."""
    plain = counter_label.isascii() and counter_label.replace("-", "").isalnum()
    label = counter_label if plain else b64url(counter_label.encode("utf-8"))
    return f"{office_id}-counter-{label}"
