"""The collector role with ``collector_role: reader``: the environment file of a read replica's
collector, and its nginx site sending reads to it and writes to the primary's collector (checked
with ``nginx -t`` and by a real nginx in front of two stand-in collectors)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from collector.config import load_settings
from tests.ansible.nginx_site import check_site, self_signed, serving
from tests.ansible.rendering import evaluate, render, role_defaults
from tests.fixtures.ports import free_port
from tests.fixtures.webhook import running_sink

STANDBY_URL = "postgresql://cf_reader@cf-db-02.test/citizen_feedback"
SITE = "nginx/citizen-feedback-collector.conf.j2"
ENV = "collector/collector.env.j2"
READS = ("GET", "HEAD", "OPTIONS")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _reader(**overrides: Any) -> dict[str, Any]:
    variables = role_defaults("collector", inventory_hostname="api-01.test")
    variables.update(
        collector_role="reader",
        collector_primary_url="https://collector.test",
        collector_db_url=STANDBY_URL,
        # Set deployment-wide in the example inventory: a reader must leave them out.
        collector_bootstrap_ops_token="synthetic-ops-token",
        collector_master_pepper="ab" * 32,
    )
    variables.update(overrides)
    return variables


def _env(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return dict(pairs)


def test_a_readers_env_file_sets_the_role_and_no_mqtt_token_or_pepper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = _reader()
    env = _env(render(ENV, variables))
    assert env == {
        "CF_ROLE": "reader",
        "CF_DB_URL": STANDBY_URL,
        "CF_HTTP_HOST": "127.0.0.1",
        "CF_HTTP_PORT": str(variables["collector_http_port"]),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.reader
    assert settings.is_postgres


def test_the_default_role_renders_no_reader_parts() -> None:
    variables = role_defaults("collector", inventory_hostname="collector.test")
    assert variables["collector_role"] == "all"
    env = _env(render(ENV, variables))
    assert "CF_ROLE" not in env
    assert {"CF_MQTT_URL", "CF_MQTT_CA", "CF_MQTT_CERT", "CF_MQTT_KEY"} <= set(env)
    site = render(SITE, variables)
    assert "proxy_pass http://citizen_feedback_collector;" in site
    for reader_part in ("citizen_feedback_primary", "map ", "$citizen_feedback_backend",
                        "proxy_ssl_", "set_real_ip_from"):  # fmt: skip
        assert reader_part not in site


def _tasks() -> dict[str, dict[str, Any]]:
    path = Path(role_defaults("collector")["role_path"]) / "tasks/main.yml"
    return {task["name"]: task for task in yaml.safe_load(path.read_text())}


def _runs(task: dict[str, Any], variables: dict[str, Any]) -> bool:
    conditions = task.get("when", [])
    return all(evaluate(c, variables) for c in ([conditions] if isinstance(conditions, str)
                                                else conditions))  # fmt: skip


@pytest.mark.parametrize(
    ("task", "for_all", "for_reader"),
    [
        ("Issue the collector's MQTT client certificate (key made on this host)", True, False),
        ("Install the master pepper for the day-key delivery (collector's user only)", True, False),
        ("Remove the master pepper when the collector does not deliver day keys (readers never do)",
         False, True),
        ("Check that a reader has a primary to send writes to and reads a PostgreSQL standby",
         False, True),
    ],
)  # fmt: skip
def test_the_role_leaves_the_mqtt_certificate_and_the_pepper_to_writers(
    task: str, for_all: bool, for_reader: bool
) -> None:
    writer = role_defaults("collector")
    writer["collector_master_pepper"] = "ab" * 32
    assert _runs(_tasks()[task], writer) is for_all
    assert _runs(_tasks()[task], _reader()) is for_reader


@pytest.mark.parametrize(
    ("overrides", "passes"),
    [
        ({}, True),
        ({"collector_primary_url": "http://10.0.0.5:8080"}, True),
        ({"collector_primary_url": ""}, False),
        ({"collector_primary_url": "collector.test"}, False),
        ({"collector_db_url": "/var/lib/citizen-feedback-collector/collector.sqlite3"}, False),
        ({"collector_db_url": "sqlite:///tmp/collector.sqlite3"}, False),
    ],
)
def test_the_role_asserts_a_reader_has_a_primary_and_a_standby(
    overrides: dict[str, Any], passes: bool
) -> None:
    tasks = _tasks()
    variables = _reader(**overrides)
    assert evaluate(tasks["Check the collector's role (all or reader)"]["ansible.builtin.assert"]
                    ["that"], variables)  # fmt: skip
    check = tasks["Check that a reader has a primary to send writes to and reads a PostgreSQL "
                  "standby"]["ansible.builtin.assert"]  # fmt: skip
    assert all(evaluate(c, variables) for c in check["that"]) is passes
    assert "collector_primary_url" in check["fail_msg"]
    assert "postgresql://" in check["fail_msg"]


def test_the_role_refuses_an_unknown_role() -> None:
    that = _tasks()["Check the collector's role (all or reader)"]["ansible.builtin.assert"]["that"]
    assert evaluate(that, role_defaults("collector"))
    assert not evaluate(that, _reader(collector_role="writer"))


def test_a_readers_site_with_an_https_primary_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, "api-01.test")
    ca, _ = self_signed(tmp_path, "collector.test")
    variables = _reader(
        collector_primary_url="https://localhost:8443",
        collector_primary_ca_path=str(ca),
        collector_proxy_certificate_path=str(cert),
        collector_proxy_key_path=str(key),
        collector_proxy_https_port=18443,
        collector_proxy_http_port=18080,
    )
    site = render(SITE, variables)
    assert "server localhost:8443;" in site
    assert "default https://citizen_feedback_primary;" in site
    assert "proxy_ssl_verify on;" in site
    assert f"proxy_ssl_trusted_certificate {ca};" in site
    assert "proxy_ssl_name localhost;" in site
    named = render(SITE, {**variables, "collector_primary_tls_name": "collector.test"})
    assert "proxy_ssl_name collector.test;" in named
    assert 'add_header Strict-Transport-Security "max-age=63072000" always;' in site
    check = check_site(site, tmp_path)
    assert check.returncode == 0, check.stderr
    assert "syntax is ok" in check.stderr


def test_a_writers_site_trusts_the_readers_forwarded_address(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    variables = role_defaults("collector", inventory_hostname="collector.test")
    variables.update(
        collector_proxy_trusted_readers=["192.0.2.10", "2001:db8::10"],
        collector_proxy_certificate_path=str(cert),
        collector_proxy_key_path=str(key),
        collector_proxy_https_port=18443,
        collector_proxy_http_port=18080,
    )
    site = render(SITE, variables).splitlines()
    assert "    set_real_ip_from 192.0.2.10;" in site
    assert "    set_real_ip_from 2001:db8::10;" in site
    assert "    real_ip_header X-Forwarded-For;" in site
    check = check_site("\n".join(site), tmp_path)
    assert check.returncode == 0, check.stderr


def test_a_readers_proxy_sends_reads_to_it_and_writes_and_sessions_to_the_primary(
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path, "api-01.test", "IP:127.0.0.1")
    https_port = free_port()
    with running_sink("") as local_reader, running_sink("") as primary:
        variables = _reader(
            collector_primary_url=primary.url,
            collector_http_port=urlsplit(local_reader.url).port,
            collector_proxy_certificate_path=str(cert),
            collector_proxy_key_path=str(key),
            collector_proxy_https_port=https_port,
            collector_proxy_http_port=free_port(),
            collector_proxy_ipv6=False,
        )
        site = render(SITE, variables)
        with (
            serving(site, tmp_path, https_port),
            httpx.Client(
                base_url=f"https://127.0.0.1:{https_port}",
                verify=ssl.create_default_context(cafile=cert),
            ) as client,
        ):
            for method in READS + WRITES:
                assert client.request(method, f"/api/v1/offices?m={method}").status_code == 200
            client.post("/login", data={"username": "synthetic-manager"})
            client.get("/manager", headers={"Cookie": "cf_session=synthetic-session"})
            client.get("/api/v1/offices?anonymous", headers={"Cookie": "theme=dark"})
            strict_transport = client.post("/api/v1/feedback").headers["Strict-Transport-Security"]
    assert strict_transport == "max-age=63072000"
    assert [(r.method, r.path) for r in local_reader.received] == [
        *((m, f"/api/v1/offices?m={m}") for m in READS),
        ("GET", "/api/v1/offices?anonymous"),
    ]
    assert [(r.method, r.path) for r in primary.received] == [
        *((m, f"/api/v1/offices?m={m}") for m in WRITES),
        ("POST", "/login"),
        ("GET", "/manager"),
        ("POST", "/api/v1/feedback"),
    ]
    login = primary.received[len(WRITES)]
    assert login.body == b"username=synthetic-manager"
    assert login.headers["X-Forwarded-For"] == "127.0.0.1"
    assert login.headers["X-Forwarded-Proto"] == "https"
