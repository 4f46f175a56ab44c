"""Headless Debian Chromium driven over the DevTools protocol, for tests of the web pages.

Why no Playwright or Selenium: they download their own browser builds (impossible here) or pin a
browser version; Chromium's ``--remote-debugging-pipe`` speaks the same DevTools protocol over two
file descriptors (3 in, 4 out; NUL-separated JSON), so a hundred lines of stdlib are the whole
client: no port to allocate, no websocket package, nothing to download.

Use::

    with launch(tmp_path / "chromium") as browser:
        page = browser.new_page()
        page.goto("http://127.0.0.1:8080/fleet")
        page.wait_for("document.querySelectorAll('#fleet tbody tr').length > 0")
        rows = page.evaluate("document.querySelectorAll('#fleet tbody tr').length")
        page.screenshot(ARTIFACTS_DIR / "fleet.png")
        assert not page.console_errors()
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)

CHROMIUM = os.environ.get("CF_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
# TESTING.md's flags, plus a fixed window and no shared-memory use (small /dev/shm in containers).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-default-browser-check",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    """Chromium did not start, died, or a DevTools command failed or timed out."""


@dataclass(frozen=True)
class ConsoleMessage:
    """One console entry, page exception or browser log entry seen by a page."""

    level: str  # "error", "warning", "info", "log", "debug", "exception"
    text: str
    source: str  # "console", "exception", "log"

    def __str__(self) -> str:
        return f"[{self.source}:{self.level}] {self.text}"


class _Pipe:
    """The DevTools connection: send commands, route replies and events by session."""

    def __init__(self, to_browser: int, from_browser: int) -> None:
        self._out = os.fdopen(to_browser, "wb", buffering=0)
        self._in = os.fdopen(from_browser, "rb", buffering=0)
        self._lock = threading.Lock()
        self._replies: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._next_id = 0
        self._listeners: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.closed = False
        self._reader = threading.Thread(target=self._read, name="cdp-reader", daemon=True)
        self._reader.start()

    def listen(self, session_id: str, callback: Callable[[dict[str, Any]], None]) -> None:
        self._listeners[session_id] = callback

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session_id: str | None = None,
        timeout: float = 15.0,
    ) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            msg_id = self._next_id
            message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
            if session_id:
                message["sessionId"] = session_id
            try:
                self._out.write(json.dumps(message).encode() + b"\0")
            except OSError as exc:
                raise BrowserError(f"{method}: the browser pipe is closed ({exc})") from exc
        deadline = time.monotonic() + timeout
        with self._cond:
            while msg_id not in self._replies:
                left = deadline - time.monotonic()
                if self.closed:
                    raise BrowserError(f"{method}: the browser went away")
                if left <= 0:
                    raise BrowserError(f"{method}: no answer within {timeout:.0f} s")
                self._cond.wait(left)
            reply = self._replies.pop(msg_id)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def _read(self) -> None:
        buffer = b""
        try:
            while chunk := self._in.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    self._dispatch(json.loads(raw))
        except (OSError, ValueError) as exc:
            _LOGGER.debug("devtools pipe reader stopped: %s", exc)
        finally:
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            with self._cond:
                self._replies[message["id"]] = message
                self._cond.notify_all()
            return
        callback = self._listeners.get(message.get("sessionId", ""))
        if callback is not None:
            callback(message)

    def close(self) -> None:
        for stream in (self._out, self._in):
            with contextlib.suppress(OSError):
                stream.close()


class Page:
    """One tab: navigate, wait for a JavaScript condition, read the DOM, take screenshots."""

    def __init__(self, pipe: _Pipe, session_id: str) -> None:
        self._pipe = pipe
        self._session = session_id
        self._events: list[str] = []
        self._events_cond = threading.Condition()
        self.console: list[ConsoleMessage] = []
        pipe.listen(session_id, self._on_event)
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        return self._pipe.send(method, params, session_id=self._session, **kw)

    def _on_event(self, message: dict[str, Any]) -> None:
        method = message.get("method", "")
        params = message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(_remote_text(arg) for arg in params.get("args", []))
            self.console.append(ConsoleMessage(params.get("type", "log"), text, "console"))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.console.append(ConsoleMessage("exception", text, "exception"))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            text = f"{entry.get('text', '')} {entry.get('url', '')}".strip()
            self.console.append(ConsoleMessage(entry.get("level", "info"), text, "log"))
        with self._events_cond:
            self._events.append(method)
            self._events_cond.notify_all()

    def goto(self, url: str, timeout: float = 20.0) -> None:
        """Navigate and wait for the load event (scripts have run; fetches may still be pending)."""
        with self._events_cond:
            self._events.clear()
        result = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        deadline = time.monotonic() + timeout
        with self._events_cond:
            while "Page.loadEventFired" not in self._events:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BrowserError(f"{url}: no load event within {timeout:.0f} s")
                self._events_cond.wait(left)

    def evaluate(self, expression: str, timeout: float = 10.0) -> Any:
        """The JSON value of ``expression`` (promises are awaited); page errors raise."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"evaluating {expression!r}: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 15.0, interval: float = 0.1) -> Any:
        """Polls until ``expression`` is truthy and returns its value; raises naming it."""
        deadline = time.monotonic() + timeout
        value: Any = None
        while True:
            try:
                value = self.evaluate(expression)
            except BrowserError as exc:  # a navigation replaced the context: ask again
                value = f"<{exc}>"
            else:
                if value:
                    return value
            if time.monotonic() >= deadline:
                raise BrowserError(
                    f"waited {timeout:.0f} s for {expression!r}; last value {value!r}; "
                    f"console: {[str(m) for m in self.console][-5:]}"
                )
            time.sleep(interval)

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """Saves a PNG of the page (the whole scrollable page by default)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": min(size["height"], 8000),
                "scale": 1,
            }
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", params, timeout=30)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def console_errors(self) -> list[ConsoleMessage]:
        """Errors, warnings and uncaught exceptions the page produced so far."""
        return [m for m in self.console if m.level in ("error", "exception", "warning", "assert")]


class Browser:
    """A running headless Chromium with its DevTools pipe."""

    def __init__(self, process: subprocess.Popen[bytes], pipe: _Pipe) -> None:
        self.process = process
        self._pipe = pipe
        self.version = pipe.send("Browser.getVersion").get("product", "?")

    def new_page(self, width: int = 1366, height: int = 900) -> Page:
        target = self._pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self._pipe, session["sessionId"])
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    def close(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(BrowserError):
                self._pipe.send("Browser.close", timeout=timeout)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(self.process)
        self._pipe.close()


def _high_fd(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL Chromium and its helpers (its own session, see ``launch``)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _remote_text(arg: dict[str, Any]) -> str:
    if "value" in arg:
        return str(arg["value"])
    return str(arg.get("description") or arg.get("type", ""))


@contextlib.contextmanager
def launch(user_data_dir: Path, log_path: Path | None = None) -> Iterator[Browser]:
    """Starts Chromium with a fresh profile in ``user_data_dir``; always stops it."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        raise BrowserError(f"{CHROMIUM} not found: apt-get install chromium (TESTING.md)")
    user_data_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_path or user_data_dir / "chromium.log"
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()
    # Move the child's ends above 9 so that no redirection below overwrites another.
    to_browser_r = _high_fd(to_browser_r)
    from_browser_w = _high_fd(from_browser_w)
    args = [CHROMIUM, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"]
    # Chromium reads commands on fd 3 and writes replies on fd 4; bash's redirections put our
    # pipe ends there (bash, as dash allows only one-digit descriptors).
    command = (
        f"exec {shlex.join(args)} 3<&{to_browser_r} 4>&{from_browser_w} "
        f"{to_browser_r}<&- {from_browser_w}>&-"
    )
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            ["/bin/bash", "-c", command],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    os.close(to_browser_r)
    os.close(from_browser_w)
    pipe = _Pipe(to_browser_w, from_browser_r)
    browser: Browser | None = None
    try:
        browser = Browser(process, pipe)
        _LOGGER.info("started %s (pid %s)", browser.version, process.pid)
        yield browser
    except BrowserError as exc:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise BrowserError(f"chromium exited with {process.returncode}: {tail}") from exc
        raise
    finally:
        if browser is not None:
            browser.close()
        elif process.poll() is None:
            _kill_group(process)
        pipe.close()
