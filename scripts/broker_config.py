"""Renders firmware-config/mosquitto/mosquitto.conf.j2 for a private, plain, loopback broker.

The demo runs the production template (the one the Ansible broker role renders), with TLS off,
anonymous access and no ACL: acceptable on 127.0.0.1 only. Rendered like Ansible's template
module does (trim_blocks, no lstrip_blocks, strict undefined).
"""

from __future__ import annotations

import getpass
from pathlib import Path

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "firmware-config" / "mosquitto"
LOOPBACK = "127.0.0.1"


def render_plain_loopback(port: int, workdir: Path) -> str:
    """The config text for a broker on 127.0.0.1:``port`` keeping its files in ``workdir``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        trim_blocks=True,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 (a broker config file, not HTML)
    )
    variables = {
        "managed_header": "Rendered by scripts/demo.py from firmware-config/mosquitto (demo only)",
        # As root Mosquitto would switch to user "mosquitto", who cannot write our directory;
        # naming the current user keeps the privileges it has (none extra when not root).
        "mosquitto_user": getpass.getuser(),
        "mosquitto_persistence": True,
        "mosquitto_persistence_location": f"{workdir / 'data'}/",
        "mosquitto_log_dest": [f"file {workdir / 'mosquitto.log'}"],
        "mosquitto_listener_port": port,
        "mosquitto_listener_address": LOOPBACK,
        "mosquitto_allow_anonymous": True,
        "mosquitto_acl_file": "",
        "mosquitto_tls": False,
    }
    return env.get_template("mosquitto.conf.j2").render(**variables)


def write_config(port: int, workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "data").mkdir(exist_ok=True)
    path = workdir / "mosquitto.conf"
    path.write_text(render_plain_loopback(port, workdir), encoding="utf-8")
    return path
