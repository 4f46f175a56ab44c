"""The virtual Thai ID card on the vpcd virtual reader: test, demo and fleet-simulator
equipment, never part of a production Pi.

A card is "inserted" while it is connected to vpcd (``vsmartcard-vpcd``, TCP 35963 for slot 0,
35964 for slot 1) and "removed" when it disconnects. vpcd listens on all interfaces and lets
anyone present any card: never install it on a production Pi.

The link to vpcd is our own small loop rather than the library's ``VirtualICC``: that class
logs every response APDU in clear (card data) at INFO, calls ``logging.basicConfig`` and
``sys.exit``, and has no hook for TCP_QUICKACK (Debian's vpcd writes length and APDU
separately: ~40 ms per APDU without it) or for a card that goes mute or leaves mid-read.

    python -m simulator.card.virtual_card --port 35963 --atr 3b79 [--person FILE.json] ...
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from virtualsmartcard.VirtualSmartcard import VPCD_CTRL_ATR, VPCD_CTRL_OFF, VPCD_CTRL_ON

from simulator.card.synthetic_person import SyntheticPerson
from simulator.card.virtual_card_os import ATRS, CardBehaviour, ThaiIdCardOS

_LOGGER = logging.getLogger(__name__)

VPCD_HOST = "127.0.0.1"
VPCD_PORTS = (35963, 35964)
_VPCD_CTRL_RESET = 2


class VirtualThaiCard:
    """A virtual card: ``insert()`` connects it to vpcd, ``remove()`` pulls it out."""

    def __init__(
        self,
        person: SyntheticPerson | None = None,
        behaviour: CardBehaviour | None = None,
        *,
        host: str = VPCD_HOST,
        port: int = VPCD_PORTS[0],
    ) -> None:
        self.os = ThaiIdCardOS(person or SyntheticPerson(), behaviour or CardBehaviour())
        self.host = host
        self.port = port
        self.apdus_answered = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._gone = threading.Event()
        self._gone.set()

    @property
    def inserted(self) -> bool:
        return not self._gone.is_set()

    def insert(self, timeout_s: float = 5.0) -> None:
        """Connect to vpcd (retrying while pcscd starts up) and serve on a thread."""
        if self.inserted:
            raise RuntimeError("the virtual card is already inserted")
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._gone.clear()
        self._thread = threading.Thread(target=self._serve, name="virtual-card", daemon=True)
        self._thread.start()

    def remove(self) -> None:
        """Pull the card out (close the link); waits until the serving thread has ended."""
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def wait_removed(self, timeout_s: float) -> bool:
        """Wait until the card left by itself (disconnect_after, or pcscd went away)."""
        return self._gone.wait(timeout_s)

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        try:
            while self._serve_one(sock):
                pass
        except OSError:
            pass
        finally:
            sock.close()
            self._sock = None
            self._gone.set()

    def _recv_exact(self, sock: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _send(self, sock: socket.socket, payload: bytes) -> None:
        sock.sendall(struct.pack("!H", len(payload)) + payload)

    def _serve_one(self, sock: socket.socket) -> bool:
        header = self._recv_exact(sock, 2)
        if header is None:
            return False
        (size,) = struct.unpack("!H", header)
        message = self._recv_exact(sock, size) if size else b""
        if message is None:
            return False
        if size == 1:
            self._control(sock, message[0])
            return True
        behaviour = self.os.behaviour
        if behaviour.disconnect_after is not None and self.apdus_answered >= (
            behaviour.disconnect_after
        ):
            return False  # pulled out in the middle of the read
        if behaviour.mute_after is not None and self.apdus_answered >= behaviour.mute_after:
            while sock.recv(4096):  # never answer; remove() shuts the socket down
                pass
            return False
        if behaviour.apdu_delay_s:
            time.sleep(behaviour.apdu_delay_s)
        answer = self.os.execute(message)
        self.apdus_answered += 1
        self._send(sock, answer)
        return True

    def _control(self, sock: socket.socket, code: int) -> None:
        if code == VPCD_CTRL_ATR:
            self._send(sock, self.os.getATR())
        elif code == VPCD_CTRL_ON:
            self.os.powerUp()
        elif code == _VPCD_CTRL_RESET:
            self.os.reset()
        elif code == VPCD_CTRL_OFF:
            self.os.powerDown()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulator.card.virtual_card",
        description="A virtual Thai ID card on the vpcd reader (tests and demo only).",
    )
    parser.add_argument("--host", default=VPCD_HOST)
    parser.add_argument("--port", type=int, default=VPCD_PORTS[0])
    parser.add_argument(
        "--connect-timeout", type=float, default=5.0, help="seconds to wait for vpcd (pcscd)"
    )
    parser.add_argument("--person", type=Path, help="JSON file of a SyntheticPerson")
    parser.add_argument("--citizen-id", help="override the person's (synthetic) citizen id")
    parser.add_argument("--birth-date", help="YYYYMMDD, Buddhist era, 00 parts allowed")
    parser.add_argument("--expiry-date", help="YYYYMMDD, Buddhist era, or 99999999")
    parser.add_argument("--sex", choices=["1", "2"])
    parser.add_argument(
        "--photo", choices=["placeholder", "silhouette", "none"], help="the photo area's content"
    )
    parser.add_argument("--atr", default="3b79", help=f"{', '.join(ATRS)} or hex bytes")
    parser.add_argument("--get-response-p2", type=int, choices=[0, 1])
    parser.add_argument("--apdu-delay-ms", type=float, default=0.0)
    parser.add_argument("--no-applet", action="store_true", help="SELECT MOI answers 6A 82")
    parser.add_argument(
        "--sw",
        action="append",
        default=[],
        metavar="WHERE=SW",
        help="force a status word, e.g. read=6F00, select=6A82, read@016F=6B00",
    )
    parser.add_argument("--chunk", type=int, help="GET RESPONSE hands out at most N bytes")
    parser.add_argument("--wrong-le", action="store_true", help="announce wrong lengths (6C)")
    parser.add_argument("--direct-data", action="store_true", help="READ answers data + 9000")
    parser.add_argument("--mute-after", type=int, help="stop answering after N APDUs")
    parser.add_argument("--disconnect-after", type=int, help="leave the reader after N APDUs")
    return parser.parse_args(argv)


def _build(args: argparse.Namespace) -> VirtualThaiCard:
    person = SyntheticPerson.from_file(args.person) if args.person else SyntheticPerson()
    changes = {
        name: getattr(args, name)
        for name in ("citizen_id", "birth_date", "expiry_date", "sex", "photo")
        if getattr(args, name) is not None
    }
    person = person.with_changes(**changes)
    overrides = {}
    for item in args.sw:
        where, _, sw = item.partition("=")
        value = bytes.fromhex(sw)
        if len(value) != 2:
            raise ValueError(f"--sw {item}: a status word is 2 bytes, e.g. read=6F00")
        overrides[where.strip()] = value
    behaviour = CardBehaviour(
        atr=args.atr,
        get_response_p2=args.get_response_p2,
        apdu_delay_s=args.apdu_delay_ms / 1000,
        no_applet=args.no_applet,
        sw_overrides=overrides,
        chunk=args.chunk,
        wrong_le=args.wrong_le,
        direct_data=args.direct_data,
        mute_after=args.mute_after,
        disconnect_after=args.disconnect_after,
    )
    behaviour.atr_bytes()  # validate the ATR before connecting
    return VirtualThaiCard(person, behaviour, host=args.host, port=args.port)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        card = _build(args)
    except (OSError, ValueError, TypeError) as exc:
        print(f"virtual_card: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        card.insert(timeout_s=args.connect_timeout)
    except OSError as exc:
        print(
            f"virtual_card: cannot reach vpcd at {args.host}:{args.port} ({exc}); "
            "is pcscd running with vsmartcard-vpcd installed?",
            file=sys.stderr,
        )
        return 1
    print(
        f"virtual_card: inserted on {args.host}:{args.port}, ATR {card.os.getATR().hex(' ')}",
        file=sys.stderr,
        flush=True,
    )
    while not stop.is_set() and card.inserted:
        stop.wait(0.1)
    card.remove()
    print(f"virtual_card: removed after {card.apdus_answered} APDUs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
