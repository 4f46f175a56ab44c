"""Account settings (``CF_SESSION_*``, ``CF_SMTP_*``, ``CF_LOGIN_*``...), apart from the core model.

Kept out of :class:`collector.config.Settings` so that the accounts part plugs in without touching
the settings every other part reads; the environment names follow the same ``CF_`` rule.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator

from collector.part_settings import PartSettings, PublicUrl


class AccountSettings(PartSettings):
    """Each field is one ``CF_<NAME>`` variable."""

    public_url: PublicUrl = Field(
        "http://127.0.0.1:8080",
        description="the address people open; links in emails start with it",
    )
    cookie_secure: bool = Field(
        False, description="mark session cookies Secure (set true whenever served over TLS)"
    )
    session_ttl_s: int = Field(8 * 3600, ge=60, description="a login lasts this long")
    link_ttl_s: int = Field(
        3600, ge=60, description="a password reset / set-password link is valid this long"
    )
    login_max_failures: int = Field(
        5, ge=1, description="failed logins in a row before an account is locked"
    )
    login_lockout_s: int = Field(
        300, ge=1, description="first lockout; doubles with each further failure, max 1 day"
    )
    login_client_limit: str = Field(
        "20/minute", description="failed logins one client address may make (limits syntax)"
    )
    form_client_limit: str = Field(
        "5/hour", description="registrations / reset requests one client address may make"
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="storage URI of the `limits` library (memory:// is per process; "
        "redis://host:port shares the counters between collector processes)",
    )
    smtp_host: str = Field("", description="SMTP server for emails; empty = email disabled")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port")
    smtp_starttls: bool = Field(True, description="upgrade the SMTP connection with STARTTLS")
    smtp_user: str = Field("", description="SMTP user (empty = no login)")
    smtp_password: str = Field("", description="SMTP password", repr=False)
    smtp_from: str = Field("no-reply@citizen-feedback.invalid", description="sender address")
    k_anonymity: int = Field(
        5, ge=2, description="report cells with fewer ratings than this are suppressed"
    )
    ranking_prior_weight: float = Field(
        20, gt=0, description="W of the office ranking RS = (M·W + m·n) / (W + n)"
    )
    survey_deadline: str = Field(
        "", description="ISO date (YYYY-MM-DD) by which every office should have submitted"
    )

    @field_validator("survey_deadline")
    @classmethod
    def _check_deadline(cls, value: str) -> str:
        if value:
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                raise ValueError("must be a date YYYY-MM-DD") from None
            if parsed.year > 2400:
                raise ValueError("a Buddhist-era year? use the Gregorian year (BE - 543)")
        return value
