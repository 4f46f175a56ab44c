"""The email transport against a real aiosmtpd that requires STARTTLS (private CA)."""

from __future__ import annotations

import json

import jsonschema

from collector.cases import CaseContact
from collector.cases.email_transport import EmailTransport
from collector.cases.forwarder import CaseForwarder
from collector.cases.payload import load_schema
from collector.cases.sealing import ContactSealer
from collector.cases.settings import CaseSettings
from collector.storage import Driver
from tests.collector.cases.helpers import Clock, open_cases
from tests.fixtures.ports import LOOPBACK
from tests.fixtures.smtp import SmtpSink, TlsSmtp

CENTRE = "cases@centre1111.example.invalid"


def _settings(port: int, ca: str, **extra: object) -> CaseSettings:
    values: dict[str, object] = {
        "cases_transport": "email",
        "cases_smtp_host": LOOPBACK,
        "cases_smtp_port": port,
        "cases_smtp_ca": ca,
        "cases_email_to": CENTRE,
        "cases_webhook_timeout_s": 5,
        "cases_max_attempts": 3,
    }
    values.update(extra)
    return CaseSettings(**values)  # type: ignore[arg-type]


async def test_case_mailed_over_starttls(
    driver: Driver, smtp_starttls_server: TlsSmtp, contact_key: ContactSealer
) -> None:
    ids = await open_cases(driver, 2, contact=CaseContact("phone", "0898765432"))
    s = _settings(smtp_starttls_server.port, str(smtp_starttls_server.ca_file))
    forwarder = CaseForwarder(driver, s, contact_key, transport=EmailTransport(s), clock=Clock())
    try:
        assert await forwarder.tick() == 2
    finally:
        await forwarder.stop()
    mails = smtp_starttls_server.sink.to(CENTRE)
    assert sorted(m["X-CF-Idempotency-Key"] for m in mails) == sorted(ids)
    schema = load_schema()
    for mail in mails:
        key = mail["X-CF-Idempotency-Key"]
        assert str(mail["Message-ID"]).strip() == f"<{key}@cases.citizen-feedback.invalid>"
        [attachment] = list(mail.iter_attachments())
        assert attachment.get_filename() == "complaint.json"
        payload = json.loads(attachment.get_content())
        jsonschema.validate(payload, schema)
        assert payload["contact"]["value"] == "0898765432"
        assert "สำนักงานเขตบางรัก" in smtp_starttls_server.sink.body(mail) or (
            "ที่ว่าการอำเภอเมืองเชียงใหม่" in smtp_starttls_server.sink.body(mail)
        )
    for case_id in ids:
        row = await driver.fetchrow(
            "SELECT status, transport FROM case_outbox WHERE case_id = ?", case_id
        )
        assert row == {"status": "delivered", "transport": "email"}


async def test_no_plaintext_fallback_without_starttls(
    driver: Driver, smtp_server: SmtpSink, contact_key: ContactSealer
) -> None:
    """A server that offers no STARTTLS gets nothing: the attempt fails and is retried later."""
    [case_id] = await open_cases(
        driver, 1, contact=CaseContact("email", "nid.test@example.invalid")
    )
    s = _settings(smtp_server.port, "")
    forwarder = CaseForwarder(driver, s, contact_key, transport=EmailTransport(s), clock=Clock())
    try:
        await forwarder.tick()
    finally:
        await forwarder.stop()
    assert smtp_server.messages == []
    row = await driver.fetchrow("SELECT * FROM case_outbox WHERE case_id = ?", case_id)
    assert row is not None
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert str(row["last_error"]).startswith("smtp")


async def test_untrusted_certificate_refused(
    driver: Driver, smtp_starttls_server: TlsSmtp, contact_key: ContactSealer
) -> None:
    """Without the private CA the server's certificate is not trusted: nothing is sent."""
    [case_id] = await open_cases(driver, 1)
    s = _settings(smtp_starttls_server.port, "")
    forwarder = CaseForwarder(driver, s, contact_key, transport=EmailTransport(s), clock=Clock())
    try:
        await forwarder.tick()
    finally:
        await forwarder.stop()
    assert smtp_starttls_server.sink.messages == []
    row = await driver.fetchrow("SELECT status FROM case_outbox WHERE case_id = ?", case_id)
    assert row == {"status": "pending"}
