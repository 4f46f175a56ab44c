"""site.yml and enrol-device.yml against throwaway Debian 12 targets, then decommission-device.yml.

One deployment per module (conftest.provisioned): a counter (Raspberry Pi OS stand-in) and a
central host (broker + collector). Every test looks at a real outcome on the targets.
"""

from __future__ import annotations

import stat
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from protocols import now
from protocols.day_keys import DayKeyFile, make_day_keys
from tests.ansible.conftest import Provisioned
from tests.ansible.deployment import CENTRAL, DEVICE_ID, OFFICE_ID
from tests.ansible.targets import in_target
from tests.fixtures.tls import CertificateAuthority
from tests.protocols.mqtt_probe import MqttProbe

# The whole sequence (two site.yml runs, two enrolments, a decommission) takes minutes on a
# busy 2-core machine: see the report printed by the tests with -s.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

AGENT_USER = "cf-agent"
CONFIG_DIR = Path("etc/citizen-feedback")
TLS_DIR = CONFIG_DIR / "tls"
STATE_DIR = Path("var/lib/citizen-feedback")
VENV = "/opt/citizen-feedback/agent-venv"
CHECK_SKIPS = ["--skip=reader", "--skip=card", "--skip=gps", "--skip=clock"]


def _ids(root: Path, table: str) -> dict[int, str]:
    """uid or gid -> name, from the target's own /etc/passwd or /etc/group."""
    rows = (line.split(":") for line in (root / "etc" / table).read_text().splitlines())
    return {int(row[2]): row[0] for row in rows if len(row) > 2}


def _owner_mode(root: Path, relative: Path) -> tuple[str, str, str]:
    info = (root / relative).stat()
    users, groups = _ids(root, "passwd"), _ids(root, "group")
    return users[info.st_uid], groups[info.st_gid], oct(stat.S_IMODE(info.st_mode))


def test_site_converges_and_a_second_run_changes_nothing(provisioned: Provisioned) -> None:
    first, second = provisioned.site
    assert first.changed()[DEVICE_ID] > 0
    assert first.changed()[CENTRAL] > 0
    assert second.changed() == {DEVICE_ID: 0, CENTRAL: 0}, second.explain()
    print(f"site.yml: first run {first.seconds:.0f} s, second run {second.seconds:.0f} s")


def test_enrolment_converges_and_a_second_run_changes_nothing(provisioned: Provisioned) -> None:
    first, second = provisioned.enrol
    assert first.changed()[DEVICE_ID] > 0
    assert second.changed() == {DEVICE_ID: 0}, second.explain()
    print(f"enrol-device.yml: first run {first.seconds:.0f} s, second run {second.seconds:.0f} s")


def test_the_service_user_is_in_the_gpio_and_card_reader_groups(
    provisioned: Provisioned,
) -> None:
    result = in_target(provisioned.counter, "id", "-nG", AGENT_USER)
    assert result.returncode == 0, result.stderr
    assert {"gpio", "scard"} <= set(result.stdout.split())
    passwd = {row.split(":")[0]: row.split(":") for row in
              (provisioned.counter / "etc/passwd").read_text().splitlines()}  # fmt: skip
    assert passwd[AGENT_USER][6] == "/usr/sbin/nologin"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (CONFIG_DIR, ("root", AGENT_USER, "0o750")),
        (CONFIG_DIR / "agent.toml", ("root", AGENT_USER, "0o640")),
        (STATE_DIR / "day-keys.json", (AGENT_USER, AGENT_USER, "0o600")),
        (TLS_DIR / "device.key", (AGENT_USER, AGENT_USER, "0o600")),
        (TLS_DIR / "device.crt", (AGENT_USER, AGENT_USER, "0o644")),
        (STATE_DIR, (AGENT_USER, AGENT_USER, "0o700")),
        (Path("etc/systemd/system/citizen-feedback-agent.service"), ("root", "root", "0o644")),
    ],
)
def test_counter_files_have_their_owners_and_modes(
    provisioned: Provisioned, path: Path, expected: tuple[str, str, str]
) -> None:
    assert _owner_mode(provisioned.counter, path) == expected


def test_central_secrets_are_readable_by_their_service_only(provisioned: Provisioned) -> None:
    central = provisioned.central
    assert _owner_mode(central, Path("etc/mosquitto/certs/server.key")) == (
        "mosquitto", "mosquitto", "0o600",
    )  # fmt: skip
    assert _owner_mode(central, Path("etc/citizen-feedback/collector.env")) == (
        "root", "cf-collector", "0o640",
    )  # fmt: skip
    assert _owner_mode(central, Path("etc/citizen-feedback/collector-tls/collector.key"))[2] == (
        "0o600"
    )
    https_key = Path("etc/citizen-feedback/collector-https/collector.key")
    assert _owner_mode(central, https_key) == ("root", "root", "0o600")


def test_nginx_fronts_the_collector_with_tls(provisioned: Provisioned) -> None:
    central = provisioned.central
    site = central / "etc/nginx/sites-enabled/citizen-feedback-collector.conf"
    assert site.is_symlink()
    text = (central / str(site.readlink()).lstrip("/")).read_text()  # absolute inside the target
    assert f"server 127.0.0.1:{provisioned.deployment.http_port};" in text
    assert "ssl_certificate /etc/citizen-feedback/collector-https/collector.crt;" in text
    assert not (central / "etc/nginx/sites-enabled/default").exists()
    check = in_target(central, "nginx", "-t")
    assert check.returncode == 0, check.stderr
    assert _owner_mode(central, Path("etc/citizen-feedback/collector-tls/pepper")) == (
        "cf-collector", "cf-collector", "0o400",
    )  # fmt: skip


def test_day_keys_are_derived_from_the_pepper_which_never_reaches_a_target(
    provisioned: Provisioned,
) -> None:
    deployment = provisioned.deployment
    document = DayKeyFile.loads((provisioned.counter / STATE_DIR / "day-keys.json").read_text())
    first = min(document.keys)
    assert abs(first - date.today()) <= timedelta(days=1)
    # cf2: the device's own office, today and tomorrow only.
    assert document == make_day_keys(bytes.fromhex(deployment.pepper), first, 2, office=OFFICE_ID)
    secrets = [deployment.pepper.encode(), deployment.ca_private_key.strip().encode()]
    for run in (*provisioned.site, *provisioned.enrol):  # no_log keeps them out of the output
        assert not any(secret.decode() in run.output for secret in secrets), run.playbook
    # The one place the pepper may be: the collector's own file, for the day-key delivery.
    allowed = provisioned.central / "etc/citizen-feedback/collector-tls/pepper"
    assert allowed.read_bytes() == deployment.pepper.encode()
    for root in (provisioned.counter, provisioned.central):
        for top in ("etc", "opt/citizen-feedback", "var/lib", "root", "tmp"):
            for path in (root / top).rglob("*"):
                if path.is_file() and not path.is_symlink() and path != allowed:
                    data = path.read_bytes()
                    assert not any(secret in data for secret in secrets), path


def test_unit_files_pass_systemd_analyze_verify(provisioned: Provisioned) -> None:
    for root, unit in (
        (provisioned.counter, "/etc/systemd/system/citizen-feedback-agent.service"),
        (provisioned.central, "/etc/systemd/system/citizen-feedback-collector.service"),
    ):
        result = in_target(root, "systemd-analyze", "verify", unit)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{unit}: {output}"
        # Unknown or misplaced settings are only warnings ("..., ignoring"): refuse them too.
        assert "ignoring" not in output, f"{unit}: {output}"
    unit_text = (
        provisioned.counter / "etc/systemd/system/citizen-feedback-agent.service"
    ).read_text()
    for line in ("Type=notify", "WatchdogSec=30", "Restart=always", "NoNewPrivileges=yes",
                 "ProtectSystem=strict", "ReadWritePaths=/var/lib/citizen-feedback",
                 "PrivateTmp=yes", "ProtectHome=yes", f"User={AGENT_USER}"):  # fmt: skip
        assert line in unit_text.splitlines(), line
    enabled = provisioned.counter / "etc/systemd/system/multi-user.target.wants"
    assert (enabled / "citizen-feedback-agent.service").is_symlink()


def test_the_agent_venv_has_its_own_paho_and_the_agent_checks_itself(
    provisioned: Provisioned,
) -> None:
    versions = in_target(
        provisioned.counter, f"{VENV}/bin/python", "-c",
        "import importlib.metadata as m; print(m.version('paho-mqtt'))",
    )  # fmt: skip
    major, minor = (int(part) for part in versions.stdout.strip().split(".")[:2])
    assert (major, minor) >= (2, 1), versions
    check = in_target(
        provisioned.counter, "runuser", "-u", AGENT_USER, "--", f"{VENV}/bin/python", "-m",
        "agent", "check", "--config", "/etc/citizen-feedback/agent.toml", *CHECK_SKIPS,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    lines = check.stdout.splitlines()
    assert any(line.startswith("ok   config:") for line in lines), lines
    assert any(line.startswith("ok   broker: connected") for line in lines), lines
    assert "ok   broker: connected" in provisioned.enrol[0].output


def test_the_pi_boot_config_gives_the_uart_to_the_gps(provisioned: Provisioned) -> None:
    boot = provisioned.counter / "boot/firmware"
    assert "include citizen-feedback-gps-uart.txt" in (boot / "config.txt").read_text()
    assert "enable_uart=1" in (boot / "citizen-feedback-gps-uart.txt").read_text().splitlines()
    cmdline = (boot / "cmdline.txt").read_text()
    assert "console=serial0" not in cmdline
    assert "console=tty1" in cmdline
    assert "rootwait" in cmdline
    gpsd = (provisioned.counter / "etc/default/gpsd").read_text()
    assert 'DEVICES="/dev/serial0"' in gpsd
    journald = provisioned.counter / "etc/systemd/journald.conf.d/citizen-feedback-volatile.conf"
    assert "Storage=volatile" in journald.read_text().splitlines()
    udev = (provisioned.counter / "etc/udev/rules.d/60-citizen-feedback.rules").read_text()
    assert 'GROUP="scard"' in udev
    assert 'GROUP="gpio"' in udev


def test_the_office_and_device_are_registered_at_the_collector(provisioned: Provisioned) -> None:
    base = f"http://127.0.0.1:{provisioned.deployment.http_port}/api/v1"
    ops = {"Authorization": f"Bearer {provisioned.deployment.ops_token}"}  # the fleet view
    device = httpx.get(f"{base}/devices/{DEVICE_ID}", headers=ops, timeout=10).json()
    assert device["office_id"] == OFFICE_ID
    fingerprint = in_target(
        provisioned.counter, "openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
        f"/{TLS_DIR}/device.crt",
    )  # fmt: skip
    expected = fingerprint.stdout.strip().split("=", 1)[1].lower()
    assert device["credential_fingerprint"].lower() == expected
    office = httpx.get(f"{base}/offices/{OFFICE_ID}", timeout=10).json()
    assert office["properties"]["name_en"] == "Mueang Chiang Mai District Office"
    assert office["properties"]["registered"] == {"lat": 18.79028, "lon": 98.98444}


def _device_tls(root: Path, into: Path) -> dict[str, str]:
    into.mkdir(exist_ok=True)
    for name in ("ca.crt", "device.crt", "device.key"):
        (into / name).write_bytes((root / TLS_DIR / name).read_bytes())
    return {
        "ca_certs": str(into / "ca.crt"),
        "certfile": str(into / "device.crt"),
        "keyfile": str(into / "device.key"),
    }


def test_the_broker_accepts_the_enrolled_device_and_refuses_a_rogue(
    provisioned: Provisioned, tmp_path: Path
) -> None:
    port = provisioned.deployment.broker_port
    tls = _device_tls(provisioned.counter, tmp_path / "device")
    with MqttProbe("127.0.0.1", port, DEVICE_ID, tls=tls) as device:
        assert device.try_connect()
    rogue_ca = CertificateAuthority(tmp_path / "rogue")
    rogue = rogue_ca.issue_client(DEVICE_ID)
    rogue_tls = {"ca_certs": tls["ca_certs"], "certfile": str(rogue.cert_path),
                 "keyfile": str(rogue.key_path)}  # fmt: skip
    with MqttProbe("127.0.0.1", port, DEVICE_ID, tls=rogue_tls) as impostor:
        assert not impostor.try_connect()


def test_enrolment_refuses_a_device_id_that_the_broker_acl_reserves(
    provisioned: Provisioned,
) -> None:
    """A device named like a collector would read every device's topics (firmware-config ACL)."""
    issued = provisioned.deployment.pki / "issued"
    before = {path.name: path.read_bytes() for path in issued.iterdir()}
    device_cert = (provisioned.counter / TLS_DIR / "device.crt").read_bytes()
    run = provisioned.deployment.run("enrol-device.yml", "-e", "counter_agent_device_id=collector")
    assert run.returncode != 0
    assert "must not be one of ['collector']" in run.output, run.explain()
    assert run.changed() == {DEVICE_ID: 0}
    # Nothing was signed: the collector's own certificate (CN collector) is untouched.
    assert {path.name: path.read_bytes() for path in issued.iterdir()} == before
    assert (provisioned.counter / TLS_DIR / "device.crt").read_bytes() == device_cert


def test_the_agent_deletes_past_day_keys_from_its_file(provisioned: Provisioned) -> None:
    """The agent prunes the file in place, as its service user: the directory must let it."""
    path = provisioned.counter / STATE_DIR / "day-keys.json"
    today = now().date()  # the office-local date, as the agent computes it
    pepper = bytes.fromhex(provisioned.deployment.pepper)
    # An old device's cf1 file (a week of deployment-wide keys) is still pruned as before.
    path.write_text(make_day_keys(pepper, today - timedelta(days=2), 7).dumps())
    prune = in_target(
        provisioned.counter, "runuser", "-u", AGENT_USER, "--", f"{VENV}/bin/python", "-c",
        "from pathlib import Path; from agent.card.day_key_store import DayKeyStore; "
        f"DayKeyStore(Path('/{STATE_DIR}/day-keys.json'))",
    )  # fmt: skip
    assert prune.returncode == 0, prune.stderr
    assert "cannot delete" not in prune.stderr, prune.stderr
    kept = DayKeyFile.loads(path.read_text())
    assert min(kept.keys) == today
    assert len(kept.keys) == 5
    assert _owner_mode(provisioned.counter, STATE_DIR / "day-keys.json") == (
        AGENT_USER, AGENT_USER, "0o600",
    )  # fmt: skip


def test_refresh_day_keys_rewrites_a_stale_key_file(provisioned: Provisioned) -> None:
    path = provisioned.counter / STATE_DIR / "day-keys.json"
    pepper = bytes.fromhex(provisioned.deployment.pepper)
    path.write_text(make_day_keys(pepper, date(2020, 1, 1), 7).dumps())
    run = provisioned.deployment.run("refresh-day-keys.yml")
    assert run.returncode == 0, run.explain()
    assert run.changed() == {DEVICE_ID: 1}
    refreshed = DayKeyFile.loads(path.read_text())
    first = min(refreshed.keys)
    assert abs(first - date.today()) <= timedelta(days=1)
    assert refreshed == make_day_keys(pepper, first, 2, office=OFFICE_ID)
    assert _owner_mode(provisioned.counter, STATE_DIR / "day-keys.json")[2] == "0o600"


def test_decommission_revokes_the_certificate_and_wipes_the_device(
    provisioned: Provisioned, tmp_path: Path
) -> None:
    """Last in the module: it retires the enrolled device."""
    deployment = provisioned.deployment
    tls = _device_tls(provisioned.counter, tmp_path / "device")
    run = deployment.run("decommission-device.yml", "-e", f"device={DEVICE_ID}")
    assert run.returncode == 0, run.explain()
    for gone in (TLS_DIR, STATE_DIR / "day-keys.json", STATE_DIR):
        assert not (provisioned.counter / gone).exists(), gone
    crl = provisioned.central / "etc/mosquitto/ca/crl.pem"
    listed = (deployment.pki / "revoked").glob(f"{DEVICE_ID}-*.crt")
    assert len(list(listed)) == 1
    assert crl.read_bytes() == (deployment.pki / "crl.pem").read_bytes()
    # The role's handler restarts Mosquitto under systemd; here the test does it.
    provisioned.broker.restart()
    provisioned.broker.wait_for_port(deployment.broker_port)
    with MqttProbe("127.0.0.1", deployment.broker_port, DEVICE_ID, tls=tls) as revoked:
        assert not revoked.try_connect()
    assert "certificate revoked" in provisioned.broker.log_text().lower() or (
        "certificate verify failed" in provisioned.broker.log_text().lower()
    )
    print(f"decommission-device.yml: {run.seconds:.0f} s")
