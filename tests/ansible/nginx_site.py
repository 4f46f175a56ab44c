"""The collector's nginx site outside the role: a throwaway certificate, ``nginx -t`` of a rendered
site, and nginx itself serving it, all in a private prefix on unprivileged ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

START_TIMEOUT_S = 10.0


def nginx_binary() -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is not installed here: run `make setup` (it installs nginx-light)")
    return nginx


def self_signed(
    directory: Path, name: str = "collector.test", alt_name: str = ""
) -> tuple[Path, Path]:
    """A certificate (also its own CA) for ``alt_name`` (default DNS:``name``) and its key."""
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName={alt_name or 'DNS:' + name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _prefix(site: str, prefix: Path, *, daemon: bool) -> list[str]:
    (prefix / "site.conf").write_text(site)
    (prefix / "logs").mkdir(exist_ok=True)
    (prefix / "nginx.conf").write_text(
        ("daemon off;\n" if not daemon else "")
        + f"pid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log;\n"
        f"events {{}}\nhttp {{ access_log off; include {prefix}/site.conf; }}\n"
    )
    return [nginx_binary(), "-p", str(prefix), "-e", str(prefix / "logs/error.log"),
            "-c", str(prefix / "nginx.conf")]  # fmt: skip


def check_site(site: str, prefix: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` of the site inside an ``http {}`` block, as Debian's nginx.conf includes it."""
    argv = _prefix(site, prefix, daemon=True)
    return subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)


@contextmanager
def serving(site: str, prefix: Path, port: int) -> Iterator[None]:
    """nginx serving the site in the foreground until the block ends, ready once ``port`` takes
    connections."""
    process = subprocess.Popen(
        _prefix(site, prefix, daemon=False), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"nginx exited: {stderr}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"nginx did not listen on {port} within {START_TIMEOUT_S} s")
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)
