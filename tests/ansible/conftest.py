"""The provisioned deployment the slow Ansible tests share (built once per module).

Order, as a technician would do it: site.yml twice (the second run must change nothing), the
broker and the collector started from what the roles installed, a technician token made with the
collector's CLI (and put into the vault), enrol-device.yml twice. The tests then look at the
targets; the decommission test comes last in its module.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ansible import daemons
from tests.ansible.deployment import Deployment, PlaybookRun
from tests.ansible.targets import in_target, keep_downloads, make_target, remove_target

COLLECTOR_ENV = "/etc/citizen-feedback/collector.env"
COLLECTOR_VENV = "/opt/citizen-feedback/collector-venv"
COLLECTOR_STATE = "/var/lib/citizen-feedback-collector"


@dataclass
class Provisioned:
    deployment: Deployment
    site: list[PlaybookRun]
    enrol: list[PlaybookRun]
    broker: daemons.ChrootDaemon
    collector: daemons.ChrootDaemon

    @property
    def counter(self) -> Path:
        return self.deployment.counter

    @property
    def central(self) -> Path:
        return self.deployment.central


def _require_environment() -> None:
    missing = [tool for tool in ("debootstrap", "chroot", "openssl") if not shutil.which(tool)]
    if os.geteuid() != 0 or missing:
        pytest.fail(
            f"the Ansible target tests need root and {', '.join(missing) or 'nothing else'} "
            "(scripts/setup.sh; TESTING.md 'Ansible without Pis or Docker')"
        )


def _must(run: PlaybookRun) -> PlaybookRun:
    print(f"\n{run.playbook}: {run.seconds:.0f} s, changed {run.changed()}", file=sys.stderr)
    if run.returncode != 0 or any(run.failed().values()):
        raise AssertionError(run.explain())
    return run


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provisioned]:
    _require_environment()
    root = tmp_path_factory.mktemp("ansible-deployment")
    deployment = Deployment(
        root=root,
        counter=make_target(root / "counter", raspberry_pi_boot=True),
        central=make_target(root / "central"),
        register_at_collector=True,
    )
    broker = daemons.mosquitto(deployment.central, root / "mosquitto.log")
    collector = daemons.ChrootDaemon(
        "collector",
        deployment.central,
        daemons.as_user(
            "cf-collector",
            daemons.collector_command(COLLECTOR_ENV, COLLECTOR_VENV, COLLECTOR_STATE),
        ),
        root / "collector.log",
    )
    try:
        deployment.write()
        site = [_must(deployment.run("site.yml"))]
        keep_downloads(deployment.counter)
        keep_downloads(deployment.central)
        site.append(_must(deployment.run("site.yml")))
        broker.start()
        broker.wait_for_port(deployment.broker_port)
        collector.start()
        collector.wait_ready(f"http://127.0.0.1:{deployment.http_port}/readyz")
        deployment.technician_token = _technician_token(deployment.central)
        deployment.write_vault()
        enrol = [_must(deployment.run("enrol-device.yml"))]
        enrol.append(_must(deployment.run("enrol-device.yml")))
        yield Provisioned(deployment, site, enrol, broker, collector)
    finally:
        collector.stop()
        broker.stop()
        remove_target(deployment.counter)
        remove_target(deployment.central)


def _technician_token(central: Path) -> str:
    """A technician token made by the provisioned collector's own CLI (as ops would)."""
    result = in_target(
        central,
        *daemons.as_user(
            "cf-collector",
            daemons.collector_command(
                COLLECTOR_ENV,
                COLLECTOR_VENV,
                COLLECTOR_STATE,
                "token",
                "create",
                "--role",
                "technician",
                "--name",
                "ansible-test",
            ),
        ),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
