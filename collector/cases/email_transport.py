"""The email transport (aiosmtplib): the case to the centre's address over SMTP with STARTTLS.

The message has a readable Thai/English summary and the payload as ``complaint.json``; its
``Message-ID`` and ``X-CF-Idempotency-Key`` are derived from the idempotency key, so the centre's
mail rules can drop a repeat. STARTTLS is required (an SMTP server that does not offer it is a
failed attempt, never a plain-text send); ``CF_CASES_SMTP_CA`` names the CA to trust. A case is
delivered when the server accepted the message (250 after DATA).
"""

from __future__ import annotations

import ssl
import time
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from collector.cases.settings import CaseSettings
from collector.cases.signing import signed_headers
from collector.cases.transport import Delivered, DeliveryFailedError

_CATEGORY_TH = {
    "delay": "ล่าช้า",
    "staff_conduct": "พฤติกรรมเจ้าหน้าที่",
    "copy_or_fee": "เรียกสำเนา / เก็บค่าธรรมเนียม",
    "corruption": "ทุจริต",
    "facilities": "สถานที่",
    "other": "อื่น ๆ",
}


def compose(settings: CaseSettings, payload: dict[str, Any], body: bytes) -> EmailMessage:
    key = payload["idempotency_key"]
    office = payload["office"]
    message = EmailMessage()
    message["From"] = settings.cases_email_from
    message["To"] = settings.cases_email_to
    message["Subject"] = f"เรื่องร้องเรียน / Complaint {payload['case_id']}"
    message["Message-ID"] = f"<{key}@cases.citizen-feedback.invalid>"
    message["X-CF-Idempotency-Key"] = key
    if settings.cases_webhook_secret:
        for name, value in signed_headers(
            settings.cases_webhook_secret, int(time.time()), body
        ).items():
            message[name] = value
    lines = [
        f"เลขที่เรื่อง / Case: {payload['case_id']}",
        f"หน่วยงาน / Office: {office['name_th']} ({office['office_id']})",
        f"ช่องบริการ / Counter: {payload['counter']}",
        f"ประเภท / Category: {_CATEGORY_TH.get(payload['category'], '')} ({payload['category']})",
        f"ช่วงเวลา / Window: {payload['window']['from']} – {payload['window']['to']}",
        "",
        payload["text"],
        "",
    ]
    contact = payload.get("contact")
    if contact:
        lines.append(f"ติดต่อกลับ (ได้รับความยินยอม) / Contact (consented): {contact['value']}")
    lines.append("ข้อมูลครบถ้วนอยู่ในไฟล์แนบ complaint.json (schema complaint-v1).")
    message.set_content("\n".join(lines))
    message.add_attachment(body, maintype="application", subtype="json", filename="complaint.json")
    return message


class EmailTransport:
    name = "email"

    def __init__(self, settings: CaseSettings) -> None:
        if not settings.cases_smtp_host or not settings.cases_email_to:
            raise ValueError(
                "CF_CASES_SMTP_HOST and CF_CASES_EMAIL_TO: needed when CF_CASES_TRANSPORT=email"
            )
        if not settings.cases_smtp_starttls:
            raise ValueError("CF_CASES_SMTP_STARTTLS: cases carry personal data; must be true")
        self._settings = settings
        self._tls = ssl.create_default_context(cafile=settings.cases_smtp_ca or None)

    async def deliver(
        self, idempotency_key: str, payload: dict[str, Any], body: bytes
    ) -> Delivered:
        s = self._settings
        message = compose(s, payload, body)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.cases_smtp_host,
                port=s.cases_smtp_port,
                start_tls=True,
                tls_context=self._tls,
                username=s.cases_smtp_user or None,
                password=s.cases_smtp_password or None,
                timeout=s.cases_webhook_timeout_s,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailedError(f"smtp {exc.code}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailedError(f"smtp: {type(exc).__name__}") from exc
        return Delivered(self.name, None)

    async def close(self) -> None:
        return None
