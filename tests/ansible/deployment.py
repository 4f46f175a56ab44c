"""A test deployment: the example inventory's settings pointed at throwaway targets.

The inventory written here reuses the example's group_vars files as they are (office data,
deployment settings) and adds a test file after them: chroot connection, loopback broker port,
mock GPIO. Secrets (CA key, master pepper, API tokens) are generated here, put into a real
Ansible Vault file, and never written anywhere else.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.ansible.targets import HOST_CA_BUNDLE
from tests.fixtures.ports import free_port

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
EXAMPLE = ANSIBLE_DIR / "inventories/example"
BIN = Path(sys.executable).parent
DEVICE_ID = "cm-mueang-chiang-mai-dol-c01"
OFFICE_ID = "cm-mueang-chiang-mai-dol"
CENTRAL = "cf-central-01"
# The wheel is built from a snapshot: other work in the tree must not change it between runs.
_SNAPSHOT = ("pyproject.toml", "README.md", "LICENSE", "protocols", "agent", "collector")
_RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class PlaybookRun:
    playbook: str
    returncode: int
    output: str
    seconds: float
    recap: dict[str, dict[str, int]] = field(default_factory=dict)

    def changed(self) -> dict[str, int]:
        return {host: counts["changed"] for host, counts in self.recap.items()}

    def failed(self) -> dict[str, int]:
        return {h: c["failed"] + c["unreachable"] for h, c in self.recap.items()}

    def explain(self) -> str:
        """The tasks that changed something, then the tail of the output (assertion message)."""
        changed: list[str] = []
        task = ""
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                task = line
            elif line.startswith("changed:"):
                changed.append(f"{task}\n  {line}")
        listed = "\n".join(changed) or "(no task reported changed)"
        return (
            f"{self.playbook} rc={self.returncode}\nchanged tasks:\n{listed}\n"
            f"tail:\n{self.output[-4000:]}"
        )


@dataclass
class Deployment:
    root: Path
    counter: Path
    central: Path
    broker_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    pepper: str = field(default_factory=lambda: secrets.token_hex(32))
    technician_token: str = field(default_factory=lambda: "cf_" + secrets.token_urlsafe(32))
    ops_token: str = field(default_factory=lambda: "cf_" + secrets.token_urlsafe(32))
    register_at_collector: bool = False
    ca_private_key: str = field(default="", repr=False)

    @property
    def inventory(self) -> Path:
        return self.root / "inventory"

    @property
    def pki(self) -> Path:
        return self.inventory / "pki"

    @property
    def vault_password_file(self) -> Path:
        return self.root / "vault-password"

    def write(self) -> None:
        """Snapshot the sources, make the CA, and write the inventory and the vault."""
        self._snapshot_sources()
        inv = self.inventory
        (inv / "group_vars/all").mkdir(parents=True)
        shutil.copy(EXAMPLE / "group_vars/all/main.yml", inv / "group_vars/all/main.yml")
        for name in ("office_cm_mueang_chiang_mai_dol.yml", "counters.yml"):
            shutil.copy(EXAMPLE / "group_vars" / name, inv / "group_vars" / name)
        self.pki.mkdir()
        ca_key = self.root / "ca.key"
        self._make_ca(ca_key)
        self._write_hosts()
        self._write_overrides()
        self.ca_private_key = ca_key.read_text()
        ca_key.unlink()
        self.write_vault()

    def _snapshot_sources(self) -> None:
        snapshot = self.root / "source"
        snapshot.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        for name in _SNAPSHOT:
            path = REPO / name
            if path.is_dir():
                shutil.copytree(path, snapshot / name, ignore=ignore)
            elif path.exists():
                shutil.copy2(path, snapshot / name)

    def _make_ca(self, key: Path) -> None:
        # The command vault.example.yml documents.
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/O=Citizen Feedback/CN=Citizen Feedback test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                str(key),
                "-out",
                str(self.pki / "ca.crt"),
            ],
            check=True,
            capture_output=True,
        )

    def _write_hosts(self) -> None:
        # Connection settings are host variables: the implicit localhost (delegated tasks on the
        # control node) also reads group_vars/all.
        def chroot(path: Path) -> dict[str, object]:
            return {
                "ansible_host": str(path),
                "ansible_connection": "community.general.chroot",
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_become": False,
            }

        hosts = {
            "all": {
                "children": {
                    "counters": {
                        "children": {
                            "office_cm_mueang_chiang_mai_dol": {
                                "hosts": {DEVICE_ID: chroot(self.counter)}
                            }
                        }
                    },
                    "broker": {"hosts": {CENTRAL: chroot(self.central)}},
                    "collector": {"hosts": {CENTRAL: None}},
                }
            }
        }
        (self.inventory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))

    def _write_overrides(self) -> None:
        overrides = {
            "ansible_user": "root",
            "cf_broker_hostname": "localhost",
            "cf_broker_port": self.broker_port,
            "cf_collector_url": f"http://127.0.0.1:{self.http_port}",
            "broker_listener_address": "127.0.0.1",
            "broker_subject_alt_names": ["DNS:localhost", "IP:127.0.0.1"],
            "broker_log_dest": ["stderr"],
            "collector_mqtt_url": f"mqtts://127.0.0.1:{self.broker_port}",
            "collector_http_host": "127.0.0.1",
            "collector_http_port": self.http_port,
            "collector_proxy_server_name": "localhost",
            "counter_agent_mqtt_url": f"mqtts://127.0.0.1:{self.broker_port}",
            "counter_agent_extra_packages": [],
            "counter_agent_pip_extra_args": ["--cert", HOST_CA_BUNDLE],
            "collector_pip_extra_args": ["--cert", HOST_CA_BUNDLE],
            "counter_agent_panel_pin_factory": "mock",
            "counter_agent_check_skip": ["reader", "card", "gps", "clock"],
            "counter_agent_register": self.register_at_collector,
            "project_wheel_source_dir": str(self.root / "source"),
            "project_wheel_build_dir": str(self.root / "wheels"),
        }
        # Loaded after main.yml (alphabetical order), so these win.
        path = self.inventory / "group_vars/all/zz_test.yml"
        path.write_text("---\n" + yaml.safe_dump(overrides, sort_keys=False))

    def write_vault(self) -> None:
        """(Re)write the encrypted vault file with this deployment's secrets."""
        if not self.vault_password_file.exists():
            self.vault_password_file.write_text(secrets.token_urlsafe(24) + "\n")
            self.vault_password_file.chmod(0o600)
        vault = self.inventory / "group_vars/all/vault.yml"
        vault.write_text(
            yaml.safe_dump(
                {
                    "vault_cf_ca_private_key": self.ca_private_key,
                    "vault_cf_master_pepper": self.pepper,
                    "vault_cf_collector_ops_token": self.ops_token,
                    "vault_cf_technician_token": self.technician_token,
                }
            )
        )
        subprocess.run(
            [
                str(BIN / "ansible-vault"),
                "encrypt",
                "--vault-password-file",
                str(self.vault_password_file),
                str(vault),
            ],
            check=True,
            capture_output=True,
            env=ansible_env(),
        )

    def run(self, playbook: str, *args: str, timeout: float = 900) -> PlaybookRun:
        """Run one of ansible/'s playbooks against this deployment."""
        started = time.monotonic()
        result = subprocess.run(
            [
                str(BIN / "ansible-playbook"),
                "-i",
                str(self.inventory / "hosts.yml"),
                "--vault-password-file",
                str(self.vault_password_file),
                playbook,
                *args,
            ],
            cwd=ANSIBLE_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=ansible_env(),
            check=False,
        )
        output = result.stdout + result.stderr
        recap = {
            m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
            for m in _RECAP.finditer(output)
        }
        return PlaybookRun(playbook, result.returncode, output, time.monotonic() - started, recap)


def ansible_env() -> dict[str, str]:
    """The environment for ansible-* commands: this repository's ansible.cfg, no colour."""
    env = dict(os.environ)
    # Those name host paths and would mean the target's files inside a chroot (requests lets
    # REQUESTS_CA_BUNDLE win over pip's --cert); pip in a target gets --cert explicitly.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "PIP_CERT"):
        env.pop(name, None)
    env.update(
        ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_LOCAL_TEMP=str(Path(os.environ.get("TMPDIR", "/tmp")) / "cf-ansible-local"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env
