"""The ``[officer_view]`` section: off by default (the deploying agency's PDPA decision).

See docs/OFFICER-VIEW.md for what switching it on means (purpose, legal basis, retention: none).
"""

from __future__ import annotations

from pathlib import Path

from agent.config_model import Section, setting
from protocols.plain import ID_PATTERN


class OfficeService(Section):
    """One of the office's services (from the collector's catalogue), a purpose for a copy."""

    id: str = setting(pattern=ID_PATTERN)
    name_th: str = setting(min_length=1, max_length=120)
    name_en: str = setting(min_length=1, max_length=120)


class OfficerViewSettings(Section):
    """The officer's verification view and the office-made copy."""

    enabled: bool = setting(
        default=False, description="read and show the card's data to the officer"
    )
    photo: bool = setting(default=True, description="also read and show the card's photo")
    host: str = setting(default="127.0.0.1", description="the kiosk listener: loopback only")
    port: int = setting(default=8765, ge=1, le=65535)
    lan_host: str | None = setting(
        default=None, description="office-LAN listener (TLS, paired PCs only); empty: none"
    )
    lan_port: int = setting(default=8766, ge=1, le=65535)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    credentials_path: Path = setting(
        default=Path("/var/lib/citizen-feedback/officer-pcs.json"),
        description="paired PCs: hashes of their credentials (no personal data)",
    )
    pairing_code_ttl_s: float = setting(default=120.0, gt=0, le=600)
    pairing_attempts: int = setting(default=5, ge=1, le=20)
    clear_after_s: float = setting(default=300.0, gt=0, le=3600)
    office_name_th: str = setting(default="", max_length=200)
    office_name_en: str = setting(default="", max_length=200)
    services: list[OfficeService] = setting(default_factory=list)
    printer: str | None = setting(
        default=None, description="CUPS queue; empty: the default destination"
    )
    cups_server: str | None = setting(
        default=None, description="CUPS server (lp -h); empty: the local one"
    )
    lp_options: list[str] = setting(default_factory=list, description="extra lp -o options")

    def check(self) -> None:
        if not _is_loopback(self.host):
            raise ValueError("host must be a loopback address; use lan_host for the office LAN")
        if self.lan_host is not None and (self.tls_cert is None or self.tls_key is None):
            raise ValueError("lan_host needs tls_cert and tls_key (the LAN listener is TLS only)")
        if len({s.id for s in self.services}) != len(self.services):
            raise ValueError("services: each id once")


def _is_loopback(host: str) -> bool:
    import ipaddress  # noqa: PLC0415 - the agent's start-up imports this module

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
