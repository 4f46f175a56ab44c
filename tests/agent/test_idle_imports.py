"""What ``python -m agent run`` imports on a counter without card reader, GPS or officer view:
the modules its idle footprint must not carry (issue 14 target 4; agent/README.md "Footprint").

The real process runs against a private broker under ``python -X importtime``, which lists every
module imported during its life (start, connection, a heartbeat interval's worth of ticking), so
an import moved into a code path that runs later is caught as well. Not a timing or RSS figure:
``tests/bench/bench_agent_idle.py`` measures those.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.agent.agent_rig import ROOT, config_data, write_toml
from tests.fixtures.broker import MosquittoBroker

# Imported only when configured or asked for; each costs the idle counter memory for nothing.
NOT_WHEN_IDLE = {
    "smartcard": "pyscard: only with [card] backend = pcsc",
    "argon2": "cf2 pseudonyms: only with a card reader",
    "gpsdclient": "only with [location] gpsd = true",
    "agent.card.factory": "card back-ends: only with a reader",
    "agent.card.read_job": "card reads: only with a reader",
    "agent.card.day_key_store": "day keys: only with a reader",
    "agent.officer_view.server": "officer view: off by default",
    "agent.officer_view.service": "officer view: off by default",
    "agent.checks": "`agent check` only",
    "agent.broker_probe": "`agent check` only",
    "pydantic": "~10 MB: the agent builds, sends and reads messages with agent/wire.py and "
    "agent/incoming.py, its config with agent/config_model.py",
    "pydantic_core": "through pydantic",
    "protocols.base": "the pydantic models: receivers validate, the agent does not import them",
    "protocols.codec": "pydantic decoding: the collector's",
    "pydantic_settings": "asyncio, dotenv and cloud secret providers (~3.5 MB)",
    "dotenv": "through pydantic-settings",
    "psutil": "the heartbeat reads /proc and statvfs itself",
    "asyncio": "the agent is threads and one paho loop",
    "http.server": "officer view only",
    "simulator": "development tool, never on a counter",
    "collector": "agent and collector never import each other",
}


def _imported_modules(stderr: str) -> set[str]:
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[-1].strip()
            if name != "imported package":
                names.add(name)
    return names


def test_the_idle_agent_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    config = write_toml(tmp_path / "agent.toml", config_data(tmp_path, broker.url))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "agent", "run", "--config", str(config)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(6)  # connect, birth message, a few ticks of every loop
        proc.terminate()
        _out, stderr = proc.communicate(timeout=20)
    finally:
        broker.stop()
    assert "agent it-counter-01 running" in stderr, stderr[-2000:]
    modules = _imported_modules(stderr)
    assert {"agent.runtime", "agent.publisher", "paho.mqtt.client"} <= modules  # it did run
    heavy = {
        name: why
        for name, why in NOT_WHEN_IDLE.items()
        if name in modules or any(m.startswith(f"{name}.") for m in modules)
    }
    assert not heavy, f"the idle agent imported: {heavy}"
