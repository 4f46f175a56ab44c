"""The fake 1111 centre: receives the collector's signed case webhooks and fails on command.

``POST /cases``: checks the HMAC-SHA256 signature and timestamp (written here again from the
payload spec, not imported from the collector, so the two implementations check each other),
then, by the current fault mode:

- ``ok``: a new ``Idempotency-Key`` is recorded and answered 201 ``{"reference": "1111-…"}``; a
  key seen before is answered 200 with the same reference and counted as a duplicate, never
  recorded twice;
- ``500`` / ``429`` (with ``Retry-After``): refused, nothing recorded;
- ``slow``: records as ``ok`` but answers only after ``delay_s`` (the collector may time out
  first: accepted, then a timeout);
- ``drop``: reads the body and closes the connection without an answer, nothing recorded;
- ``accept_drop``: records the case, then closes the connection without an answer (accepted,
  but the collector never hears it: its retry must be answered idempotently).

``POST /control`` sets the mode: ``{"mode": M, "count": N, "retry_after": s, "delay_s": s}``
(``count``: for the next N requests only, then ``ok``) or ``{"mix": {"500": 0.1, ...}, "seed": 1}``
(each request draws its fault). ``GET /received`` lists what was recorded, in order, with the
counters (``?payloads=1``: with the payloads); ``GET /`` shows the received cases as a small
HTML page (the demo links it).
``POST /callback`` ``{"case_id", "status", "reference"?, "outcome"?, "note"?}`` makes the centre
send a signed status callback to the collector and returns the collector's answer; with
``--auto-accept S`` (the demo) it sends "accepted" by itself S seconds after each new case.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import html
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("ok", "500", "429", "slow", "drop", "accept_drop")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class CentreState:
    secret: str
    callback_url: str
    window_s: int = 300
    mode: str = "ok"
    count: int | None = None
    retry_after: int = 1
    delay_s: float = 2.0
    mix: dict[str, float] = field(default_factory=dict)
    rand: random.Random = field(default_factory=lambda: random.Random(1))  # noqa: S311
    accepted: list[str] = field(default_factory=list)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0
    requests: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    bad_signatures: int = 0
    auto_accept_s: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_fault(self) -> str:
        """The fault for this request (and consume one of ``count``)."""
        with self.lock:
            self.requests += 1
            if self.mix:
                draw = self.rand.random()
                for mode, share in self.mix.items():
                    if draw < share:
                        return mode
                    draw -= share
                return "ok"
            mode = self.mode
            if self.count is not None:
                self.count -= 1
                if self.count <= 0:
                    self.mode, self.count = "ok", None
            return mode

    def record(self, key: str, payload: dict[str, Any]) -> tuple[str, bool]:
        """Record a case once; return (reference, first time?)."""
        with self.lock:
            if key in self.references:
                self.duplicates += 1
                return self.references[key], False
            reference = f"1111-{len(self.accepted) + 1:06d}"
            self.references[key] = reference
            self.accepted.append(key)
            self.cases[key] = payload
            return reference, True

    def count_refusal(self, what: str) -> None:
        with self.lock:
            self.refused[what] = self.refused.get(what, 0) + 1

    def summary(self, *, payloads: bool = False) -> dict[str, Any]:
        with self.lock:
            extra = {"payloads": dict(self.cases)} if payloads else {}
            return {
                **extra,
                "accepted": list(self.accepted),
                "references": dict(self.references),
                "duplicates": self.duplicates,
                "requests": self.requests,
                "refused": dict(self.refused),
                "bad_signatures": self.bad_signatures,
                "mode": self.mode,
            }


def send_callback(state: CentreState, body: bytes) -> tuple[int, Any]:
    """POST a signed status update to the collector; return its status and JSON answer."""
    stamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - a loopback URL from the command line
        state.callback_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-CF-Timestamp": str(stamp),
            "X-CF-Signature": sign(state.secret, stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), json.load(response)
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"{}")


def auto_accept(state: CentreState, case_id: str, reference: str) -> None:
    """``--auto-accept`` (the demo): a moment after a new case, tell the collector: accepted."""
    time.sleep(state.auto_accept_s or 0)
    body = json.dumps({"case_id": case_id, "status": "accepted", "reference": reference}).encode()
    for _attempt in range(30):  # as a real centre would: retry while the collector is unreachable
        try:
            status, answer = send_callback(state, body)
            break
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = exc
            time.sleep(1)
    else:
        print(f"centre1111: auto-accept of {case_id} failed: {error}", flush=True)
        return
    if status != 200:
        print(f"centre1111: auto-accept of {case_id}: {status} {answer}", flush=True)


class CentreHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CentreServer

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the collector's log is the one that matters

    # helpers ---------------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _signed(self, body: bytes) -> bool:
        state = self.server.state
        stamp = self.headers.get("X-CF-Timestamp") or ""
        given = self.headers.get("X-CF-Signature") or ""
        ok = stamp.isdigit() and abs(time.time() - int(stamp)) <= state.window_s
        ok = ok and hmac.compare_digest(sign(state.secret, int(stamp or 0), body), given)
        if not ok:
            with state.lock:
                state.bad_signatures += 1
        return ok

    # routes ----------------------------------------------------------------------------------
    def do_GET(self) -> None:
        state = self.server.state
        if self.path.startswith("/received"):
            self._send(200, state.summary(payloads="payloads=1" in self.path))
        elif self.path == "/":
            self._page()
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self._body()
        if self.path == "/cases":
            self._case(body)
        elif self.path == "/control":
            self._control(body)
        elif self.path == "/callback":
            self._callback(body)
        else:
            self._send(404, {"error": "not found"})

    def _case(self, body: bytes) -> None:
        state = self.server.state
        if len(body) < int(self.headers.get("Content-Length") or 0):
            state.count_refusal("incomplete")  # the sender died mid-request (kill -9)
            self._drop()
            return
        if not self._signed(body):
            self._send(401, {"error": "bad signature"})
            return
        key = self.headers.get("Idempotency-Key") or ""
        try:
            payload = json.loads(body)
        except ValueError:
            self._send(400, {"error": "body is not JSON"})
            return
        if not key or payload.get("idempotency_key") != key:
            self._send(400, {"error": "Idempotency-Key missing or not the payload's"})
            return
        fault = state.next_fault()
        if fault == "500":
            state.count_refusal("500")
            self._send(500, {"error": "injected failure"})
        elif fault == "429":
            state.count_refusal("429")
            self._send(429, {"error": "slow down"}, {"Retry-After": str(state.retry_after)})
        elif fault == "drop":
            state.count_refusal("drop")
            self._drop()
        elif fault == "accept_drop":
            state.record(key, payload)
            self._drop()
        else:
            reference, first = state.record(key, payload)
            if first and state.auto_accept_s is not None and state.callback_url:
                threading.Thread(
                    target=auto_accept, args=(state, key, reference), daemon=True
                ).start()
            if fault == "slow":  # stored at once, answered late: the caller may time out first
                time.sleep(state.delay_s)
            self._send(201 if first else 200, {"reference": reference, "duplicate": not first})

    def _control(self, body: bytes) -> None:
        state = self.server.state
        try:
            order = json.loads(body or b"{}")
            mode = str(order.get("mode", "ok"))
            if mode not in MODES:
                raise ValueError(f"mode must be one of {', '.join(MODES)}")
            mix = {str(k): float(v) for k, v in (order.get("mix") or {}).items()}
            if any(k not in MODES for k in mix):
                raise ValueError(f"mix keys must be among {', '.join(MODES)}")
        except (ValueError, TypeError, AttributeError) as exc:
            self._send(400, {"error": str(exc)})
            return
        with state.lock:
            state.mode = mode
            state.count = int(order["count"]) if order.get("count") else None
            state.retry_after = int(order.get("retry_after", state.retry_after))
            state.delay_s = float(order.get("delay_s", state.delay_s))
            state.mix = mix
            state.rand = random.Random(int(order.get("seed", 1)))  # noqa: S311
        self._send(200, {"mode": mode, "mix": mix})

    def _callback(self, body: bytes) -> None:
        try:
            status, answer = send_callback(self.server.state, body)
        except (urllib.error.URLError, OSError) as exc:
            self._send(502, {"error": f"collector unreachable: {exc}"})
            return
        self._send(200, {"status": status, "answer": answer})

    def _page(self) -> None:
        state = self.server.state
        with state.lock:
            rows = [(k, state.references[k], state.cases[k]) for k in state.accepted]
        cells = "".join(
            f"<tr><td>{html.escape(ref)}</td><td>{html.escape(c['office']['name_th'])}</td>"
            f"<td>{html.escape(c['counter'])}</td><td>{html.escape(c['category'])}</td>"
            f"<td>{html.escape(c['window']['from'])}</td><td>{html.escape(c['text'])}</td>"
            f"<td>{'✓' if 'contact' in c else ''}</td></tr>"
            for _k, ref, c in reversed(rows)
        )
        page = (
            "<!doctype html><html lang='th'><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width'>"
            "<title>ศูนย์ 1111 (จำลอง)</title><h1>ศูนย์ 1111 (จำลอง) / fake 1111 centre</h1>"
            f"<p>{len(rows)} cases received, {state.duplicates} duplicate deliveries answered "
            "idempotently.</p><table border='1'><tr><th>reference</th><th>office</th>"
            f"<th>counter</th><th>category</th><th>from</th><th>text</th><th>contact</th></tr>"
            f"{cells}</table></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


class CentreServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: CentreState) -> None:
        super().__init__(address, CentreHandler)
        self.state = state
