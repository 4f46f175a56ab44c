"""Outgoing email (set-password and reset links) through aiosmtplib.

aiosmtplib is an asyncio SMTP client (STARTTLS, AUTH), so sending does not block the event
loop. Messages are plain text in Thai and English; they carry links, never passwords.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib

from collector.accounts.settings import AccountSettings
from collector.errors import CollectorError

_LOGGER = logging.getLogger(__name__)


class MailError(CollectorError):
    """The email could not be handed to the SMTP server (or email is not configured)."""


class Mailer:
    def __init__(self, settings: AccountSettings) -> None:
        self._settings = settings

    @property
    def enabled(self) -> bool:
        return bool(self._settings.smtp_host)

    async def send(self, to: str, subject: str, body: str) -> None:
        s = self._settings
        if not self.enabled:
            raise MailError("CF_SMTP_HOST: email is not configured")
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                start_tls=s.smtp_starttls,
                username=s.smtp_user or None,
                password=s.smtp_password or None,
                timeout=20,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            _LOGGER.warning("email not sent: smtp=%s:%s error=%s", s.smtp_host, s.smtp_port, exc)
            raise MailError(f"smtp: the mail server refused or is unreachable ({exc})") from exc
        _LOGGER.info("email sent: subject=%r", subject)
