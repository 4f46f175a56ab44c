"""The ``[officer_view]`` section: off by default (the deploying agency's PDPA decision).

See docs/OFFICER-VIEW.md for what switching it on means (purpose, legal basis, retention: none).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from protocols.identifiers import ID_PATTERN


class OfficeService(BaseModel):
    """One of the office's services (from the collector's catalogue), a purpose for a copy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name_th: Annotated[str, Field(min_length=1, max_length=120)]
    name_en: Annotated[str, Field(min_length=1, max_length=120)]


class OfficerViewSettings(BaseModel):
    """The officer's verification view and the office-made copy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(False, description="read and show the card's data to the officer")
    photo: bool = Field(True, description="also read and show the card's photo")
    host: str = Field("127.0.0.1", description="the kiosk listener: loopback only")
    port: Annotated[int, Field(ge=1, le=65535)] = 8765
    lan_host: str | None = Field(
        None, description="office-LAN listener (TLS, paired PCs only); empty: none"
    )
    lan_port: Annotated[int, Field(ge=1, le=65535)] = 8766
    tls_cert: Path | None = None
    tls_key: Path | None = None
    credentials_path: Path = Field(
        Path("/var/lib/citizen-feedback/officer-pcs.json"),
        description="paired PCs: hashes of their credentials (no personal data)",
    )
    pairing_code_ttl_s: Annotated[float, Field(gt=0, le=600)] = 120.0
    pairing_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    clear_after_s: Annotated[float, Field(gt=0, le=3600)] = 300.0
    office_name_th: Annotated[str, Field(max_length=200)] = ""
    office_name_en: Annotated[str, Field(max_length=200)] = ""
    services: list[OfficeService] = Field(default_factory=list)
    printer: str | None = Field(None, description="CUPS queue; empty: the default destination")
    cups_server: str | None = Field(None, description="CUPS server (lp -h); empty: the local one")
    lp_options: list[str] = Field(default_factory=list, description="extra lp -o options")

    @model_validator(mode="after")
    def _listeners(self) -> Self:
        if not _is_loopback(self.host):
            raise ValueError("host must be a loopback address; use lan_host for the office LAN")
        if self.lan_host is not None and (self.tls_cert is None or self.tls_key is None):
            raise ValueError("lan_host needs tls_cert and tls_key (the LAN listener is TLS only)")
        if len({s.id for s in self.services}) != len(self.services):
            raise ValueError("services: each id once")
        return self


def _is_loopback(host: str) -> bool:
    import ipaddress  # noqa: PLC0415 - the agent's start-up imports this module

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
