"""``agent check`` lines for the officer view and the counter's printer (never card data)."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime

from agent.officer_view.settings import OfficerViewSettings

Outcome = tuple[bool, str]


def officer_view_check(s: OfficerViewSettings) -> Outcome:
    if not s.enabled:
        return True, "off (the agency has not switched on reading card data for the officer)"
    from agent.officer_view.copy_pdf import CopyRenderError, thai_font  # noqa: PLC0415
    from agent.officer_view.pairing import PairedPcs  # noqa: PLC0415

    parts = [f"on, kiosk http://{s.host}:{s.port}/", f"{len(s.services)} copy purposes"]
    try:
        thai_font()
    except CopyRenderError as exc:
        return False, str(exc)
    if s.lan_host is not None:
        assert s.tls_cert is not None
        assert s.tls_key is not None
        try:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(s.tls_cert, s.tls_key)
            decoded = ssl._ssl._test_decode_cert(str(s.tls_cert))  # type: ignore[attr-defined]
        except (OSError, ssl.SSLError) as exc:
            return False, f"LAN TLS certificate/key {s.tls_cert}: {exc}"
        ends = datetime.strptime(decoded["notAfter"], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)
        if ends <= datetime.now(UTC):
            return False, f"LAN TLS certificate {s.tls_cert} expired {ends.date()}"
        parts.append(f"LAN https://{s.lan_host}:{s.lan_port}/ (certificate until {ends.date()})")
        parts.append(f"{len(PairedPcs(s.credentials_path))} paired PCs")
    return True, ", ".join(parts)


def printer_check(s: OfficerViewSettings) -> Outcome:
    if not s.enabled:
        return True, "no office copies (officer view off)"
    from agent.officer_view.printing import printer_state  # noqa: PLC0415

    return printer_state(s.printer, s.cups_server)
