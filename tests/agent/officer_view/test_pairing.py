"""Pairing an office PC over the LAN listener (TLS): a PC without the credential gets nothing;
wrong, replayed and expired codes are refused; the kiosk alone shows codes."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent.officer_view.pairing import COOKIE, PairedPcs, PairingCodes
from agent.officer_view.service import OfficerView
from agent.officer_view.settings import OfficerViewSettings
from tests.agent.officer_view.card_io import details_of
from tests.agent.officer_view.rig import CANARY, CANARY_SURNAME, officer_settings
from tests.fixtures.ports import free_port
from tests.fixtures.tls import CertificateAuthority


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lan_view(tmp_path: Path) -> Iterator[tuple[OfficerView, FakeClock, CertificateAuthority]]:
    ca = CertificateAuthority(tmp_path / "ca")
    server = ca.issue_server("127.0.0.1")
    settings = OfficerViewSettings(
        **officer_settings(
            tmp_path,
            lan_host="127.0.0.1",
            lan_port=free_port(),
            tls_cert=str(server.cert_path),
            tls_key=str(server.key_path),
            pairing_code_ttl_s=60,
            pairing_attempts=3,
        )
    )
    view = OfficerView(settings)
    clock = FakeClock()
    view.codes = PairingCodes(60, 3, clock=clock)
    view.start()
    view.card.details_read(details_of(CANARY))
    try:
        yield view, clock, ca
    finally:
        view.stop()


def _clients(view: OfficerView, ca: CertificateAuthority) -> tuple[httpx.Client, httpx.Client]:
    s = view.settings
    kiosk = httpx.Client(base_url=f"http://127.0.0.1:{s.port}", timeout=10)
    lan = httpx.Client(
        base_url=f"https://127.0.0.1:{s.lan_port}",
        verify=ssl.create_default_context(cafile=str(ca.cert_path)),
        timeout=10,
    )
    return kiosk, lan


def _new_code(kiosk: httpx.Client, view: OfficerView) -> str:
    page = kiosk.post("/pairing/code", data={"token": view.csrf})
    assert page.status_code == 200
    match = re.search(r'id="pairing-code">(\d{4}) (\d{4})<', page.text)
    assert match, page.text
    return match.group(1) + match.group(2)


def test_unpaired_pc_gets_nothing(
    lan_view: tuple[OfficerView, FakeClock, CertificateAuthority],
) -> None:
    view, _clock, ca = lan_view
    _kiosk, lan = _clients(view, ca)
    for path in ("/", "/api/card", "/api/photo?v=1", "/static/officer.js", "/pairing"):
        answer = lan.get(path)
        assert answer.status_code == 403, path
        assert CANARY_SURNAME not in answer.text
        assert answer.headers["cache-control"].startswith("no-store")
    lan.cookies.set(COOKIE, "forged-credential")
    forged = lan.get("/api/card")
    assert forged.status_code == 403
    assert lan.post("/pairing/code", data={"token": view.csrf}).status_code == 403
    assert lan.get("/pair").status_code == 200
    with pytest.raises(httpx.TransportError):  # TLS only: plain HTTP gets no answer at all
        httpx.get(f"http://127.0.0.1:{view.settings.lan_port}/api/card", timeout=5)


def test_pairing_gives_a_credential_once(
    lan_view: tuple[OfficerView, FakeClock, CertificateAuthority], tmp_path: Path
) -> None:
    view, _clock, ca = lan_view
    kiosk, lan = _clients(view, ca)
    code = _new_code(kiosk, view)
    paired = lan.post("/pair", data={"code": code})
    assert paired.status_code == 303
    cookie = paired.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    token = paired.cookies[COOKIE]
    card = lan.get("/api/card")  # the client keeps the cookie
    assert card.status_code == 200
    assert CANARY_SURNAME in card.json()["card"]["fields"]["name_th"]
    # The same code again, from another PC: refused (single use).
    _k2, other = _clients(view, ca)
    replay = other.post("/pair", data={"code": code})
    assert replay.status_code == 403
    assert COOKIE not in replay.cookies
    # The credential survives a restart (hash on disk, never the credential itself).
    stored = view.settings.credentials_path.read_text()
    assert token not in stored
    assert PairedPcs(view.settings.credentials_path).verify(token)
    assert oct(view.settings.credentials_path.stat().st_mode & 0o777) == "0o600"


def test_expired_and_guessed_codes_are_refused(
    lan_view: tuple[OfficerView, FakeClock, CertificateAuthority],
) -> None:
    view, clock, ca = lan_view
    kiosk, lan = _clients(view, ca)
    code = _new_code(kiosk, view)
    clock.now += 61
    assert lan.post("/pair", data={"code": code}).status_code == 403
    code = _new_code(kiosk, view)
    wrong = str((int(code) + 1) % 10**8).zfill(8)
    for _ in range(3):
        assert lan.post("/pair", data={"code": wrong}).status_code == 403
    # three wrong tries killed the code: the right one no longer works either
    assert lan.post("/pair", data={"code": code}).status_code == 403
    assert len(view.paired) == 0


def test_kiosk_needs_its_page_token_for_a_code(
    lan_view: tuple[OfficerView, FakeClock, CertificateAuthority],
) -> None:
    view, _clock, ca = lan_view
    kiosk, _lan = _clients(view, ca)
    assert kiosk.post("/pairing/code", data={"token": "x"}).status_code == 403
    assert kiosk.get("/pairing").status_code == 200
