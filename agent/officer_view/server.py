"""The officer view's HTTP listeners (stdlib ``http.server``: a handful of routes, no framework
on the counter): the kiosk one on loopback, and optionally one on the office LAN, TLS only,
answering nothing but the pairing form to a PC without its credential.

Every answer carries ``Cache-Control: no-store`` and a CSP without inline scripts. The
request log names method, path and status only (no query strings, nothing of the card).
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from agent.officer_view.display import Lang, card_fields
from agent.officer_view.pages import not_paired, pair_form, pairing_page, view_page
from agent.officer_view.pairing import COOKIE

if TYPE_CHECKING:
    from agent.officer_view.service import OfficerView

_LOGGER = logging.getLogger(__name__)

MAX_BODY = 4096
HANDSHAKE_TIMEOUT_S = 10.0
CREDENTIAL_MAX_AGE_S = 365 * 86400
SECURITY_HEADERS = {
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
STATIC = {"officer.js": "text/javascript; charset=utf-8", "officer.css": "text/css; charset=utf-8"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        view: OfficerView,
        lan: bool,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.view = view
        self.lan = lan
        self.tls = tls
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake on the connection's own thread, so a slow or broken client cannot
        hold up the accept loop."""
        if self.tls is not None:
            request.settimeout(HANDSHAKE_TIMEOUT_S)
            request = self.tls.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; a failed handshake is one line.
        _LOGGER.debug("officer view connection failed", exc_info=False)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 30  # an idle connection does not keep a thread forever
    server_version = "counter"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return  # replaced by _log: the default writes the request line (query) to stderr

    def _log(self, status: int) -> None:
        _LOGGER.debug("%s %s -> %d", self.command, urlsplit(self.path).path, status)

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def _url(self) -> Any:
        return urlsplit(self.path)

    def _lang(self) -> Lang:
        lang = parse_qs(self._url.query).get("lang", ["th"])[0]
        return "en" if lang == "en" else "th"

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        if self.server.lan:
            self.send_header("Strict-Transport-Security", "max-age=31536000")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._log(status)

    def _html(self, status: int, page: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, page.encode(), "text/html; charset=utf-8", headers)

    def _json(self, status: int, data: object) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json")

    def _error(self, status: int, field: str, expected: str) -> None:
        self._json(status, {"error": {"field": field, "expected": expected}})

    def _body(self) -> bytes | None:
        try:
            size = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            size = -1
        if not 0 <= size <= MAX_BODY:
            self._error(413, "body", f"at most {MAX_BODY} bytes")
            return None
        return self.rfile.read(size)

    def _host_ok(self) -> bool:
        """The kiosk listener answers only to its loopback names (no DNS rebinding)."""
        if self.server.lan:
            return True
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        return host in {"127.0.0.1", "localhost", "::1"}

    def _paired(self) -> bool:
        if not self.server.lan:
            return True
        try:
            cookie = SimpleCookie(self.headers.get("Cookie") or "")
        except CookieError:
            return False
        morsel = cookie.get(COOKIE)
        return self.server.view.paired.verify(morsel.value if morsel else None)

    def _gate(self) -> bool:
        if not self._host_ok():
            self._error(421, "Host", "127.0.0.1 or localhost")
            return False
        path = self._url.path
        if self.server.lan and path not in ("/pair", "/static/officer.css") and not self._paired():
            if path.startswith("/api/"):
                self._error(403, "credential", "a paired PC (pair it at /pair)")
            else:
                self._html(403, not_paired(self._lang()))
            return False
        return True

    # -- routes -----------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._gate():
            return
        view = self.server.view
        path = self._url.path
        lang = self._lang()
        if path == "/":
            page = view_page(lang, view.csrf, view.settings.services, kiosk=not self.server.lan)
            self._html(200, page)
        elif path == "/api/card":
            self._json(200, self._card(lang))
        elif path == "/api/photo":
            self._photo()
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        elif path.startswith("/static/") and path[8:] in STATIC:
            name = path[8:]
            data = files("agent.officer_view").joinpath("static", name).read_bytes()
            self._send(200, data, STATIC[name])
        elif path == "/pairing" and not self.server.lan:
            self._html(200, pairing_page(lang, view.csrf, None, view.settings.pairing_code_ttl_s))
        elif path == "/pair" and self.server.lan:
            self._html(200, pair_form(lang, refused=False))
        else:
            self._error(404, "path", "/, /api/card, /api/photo, /pair or /pairing")

    def do_POST(self) -> None:
        body = self._body()  # read first: closing on an unread body can reset the answer
        if body is None or not self._gate():
            return
        path = self._url.path
        if path == "/api/copy":
            self._copy(body)
        elif path == "/pairing/code" and not self.server.lan:
            self._issue_code(body)
        elif path == "/pair" and self.server.lan:
            self._pair(body)
        else:
            self._error(404, "path", "/api/copy, /pair or /pairing/code")

    def _card(self, lang: Lang) -> dict[str, Any]:
        snap = self.server.view.card.snapshot()
        state: dict[str, Any] = {"version": snap.version, "state": snap.state, "fault": snap.fault}
        if snap.details is not None:
            fields = card_fields(snap.details, lang)
            state["card"] = {
                "fields": {k: v for k, v in fields.items() if isinstance(v, str)},
                "checks": fields["checks"],
                "checks_ok": fields["checks_ok"],
                "photo": fields["photo"],
            }
        return state

    def _photo(self) -> None:
        snap = self.server.view.card.snapshot()
        wanted = parse_qs(self._url.query).get("v", [""])[0]
        details = snap.details
        if details is None or details.photo is None or wanted != str(snap.version):
            self._error(404, "v", "the version of the card shown now, with a photo")
            return
        self._send(200, details.photo, "image/jpeg")

    def _copy(self, body: bytes) -> None:
        from agent.officer_view.service import CopyRefusedError  # noqa: PLC0415

        view = self.server.view
        if self.headers.get("X-Officer-Token") != view.csrf:
            self._error(403, "X-Officer-Token", "the token of the page")
            return
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if not isinstance(request, dict) or not isinstance(request.get("version"), int):
            self._error(400, "version", "the integer version of the card shown")
            return
        try:
            done = view.make_copy(request["version"], request.get("service"))
        except CopyRefusedError as exc:
            field = (
                "service" if exc.status == 400 else "version" if exc.status == 409 else "printer"
            )
            self._error(exc.status, field, str(exc))
            return
        self._json(200, {"ok": True, "job": done.job, "service": done.service})

    def _form(self, body: bytes) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}

    def _issue_code(self, body: bytes) -> None:
        view = self.server.view
        if self._form(body).get("token") != view.csrf:
            self._error(403, "token", "the token of the pairing page")
            return
        issued = view.codes.issue()
        self._html(200, pairing_page(self._lang(), view.csrf, issued.code, issued.expires_in_s))

    def _pair(self, body: bytes) -> None:
        view = self.server.view
        lang = self._lang()
        if not view.codes.redeem(self._form(body).get("code", "")):
            _LOGGER.warning("pairing code refused")
            self._html(403, pair_form(lang, refused=True))
            return
        token = view.paired.add()
        cookie = (
            f"{COOKIE}={token}; Max-Age={CREDENTIAL_MAX_AGE_S}; Path=/; Secure; HttpOnly; "
            "SameSite=Strict"
        )
        self._send(303, b"", "text/plain", {"Location": f"/?lang={lang}", "Set-Cookie": cookie})


def _serve(server: _Server) -> None:
    server.serve_forever(poll_interval=0.5)


def start_listeners(view: OfficerView) -> list[_Server]:
    s = view.settings
    servers = [_Server((s.host, s.port), view, lan=False)]
    if s.lan_host is not None:
        assert s.tls_cert is not None
        assert s.tls_key is not None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(s.tls_cert, s.tls_key)
        servers.append(_Server((s.lan_host, s.lan_port), view, lan=True, tls=context))
    for server in servers:
        name = "officer-lan" if server.lan else "officer-kiosk"
        threading.Thread(target=_serve, args=(server,), name=name, daemon=True).start()
    return servers


def stop_listeners(servers: list[Any]) -> None:
    for server in servers:
        server.shutdown()
        server.server_close()


def listener_urls(servers: list[Any]) -> list[str]:
    urls = []
    for server in servers:
        host, port = server.server_address[:2]
        urls.append(f"{'https' if server.lan else 'http'}://{host}:{port}/")
    return urls
