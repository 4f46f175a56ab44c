"""What a citizen submits, checked field by field; problems carry a message key per field.

One checker for the phone form (strings from HTML) and the JSON API (typed values after
FastAPI's own type checks): a problem names the field and a key of :mod:`i18n`, so the
citizen reads it in their language. Nothing is stored unless every field passes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from collector.cases.model import CATEGORIES
from collector.feedback.pii import strip_pii

CHANNEL_WEB = "web"
WEB_DEVICE_PREFIX = "web:"  # rating_rollups.device_id of web ratings (":" is never in a device id)
NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_MARKUP = re.compile(r"<\s*[a-zA-Z!/?]|javascript\s*:|\bon[a-z]+\s*=", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[0-9]{9,12}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
CONTACT_MAX = 254


class FeedbackProblemsError(Exception):
    """{field: message key}; the first problem of each field."""

    def __init__(self, problems: dict[str, str], scale: int = 5) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems
        self.scale = scale


@dataclass(frozen=True, slots=True)
class Submission:
    score: int | None
    text: str  # already stripped of personal data
    pii_removed: int
    is_complaint: bool
    category: str | None
    contact_kind: Literal["phone", "email"] | None
    contact: str | None  # only with consent
    honeypot: bool
    nonce: str | None
    lang: str
    extra: dict[str, Any] = field(default_factory=dict)


def _clean(text: str) -> str:
    """NFC, no control characters but newlines and tabs, trimmed."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()


def has_markup(text: str) -> bool:
    return bool(_MARKUP.search(text))


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def _score(value: Any, scale: int, problems: dict[str, str]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        problems["score"] = "err_score_range"
        return None
    try:
        score = int(str(value).translate(_THAI_DIGITS).strip())
    except ValueError:
        problems["score"] = "err_score_range"
        return None
    if not 1 <= score <= scale:
        problems["score"] = "err_score_range"
        return None
    return score


def _contact(kind: Any, value: str, problems: dict[str, str]) -> str | None:
    if kind not in ("phone", "email"):
        problems["contact_kind"] = "err_contact_kind"
        return None
    if len(value) > CONTACT_MAX or has_markup(value):
        problems["contact"] = "err_contact_phone" if kind == "phone" else "err_contact_email"
        return None
    if kind == "phone":
        digits = re.sub(r"[\s\-.()]", "", value.translate(_THAI_DIGITS))
        if not _PHONE.match(digits):
            problems["contact"] = "err_contact_phone"
            return None
        return digits
    if not _EMAIL.match(value):
        problems["contact"] = "err_contact_email"
        return None
    return value


def _contact_of(
    raw: dict[str, Any], complaint: bool, allowed: bool, problems: dict[str, str]
) -> tuple[Literal["phone", "email"] | None, str | None]:
    """The contact and its kind, only for a complaint and only with consent."""
    value = _clean(str(raw.get("contact") or ""))
    if not value:
        return None, None
    kind = raw.get("contact_kind") or None
    if not allowed:
        problems["contact"] = "err_contact_off"
        return None, None
    if not complaint:
        problems["contact"] = "err_contact_complaint"
        return None, None
    contact = _contact(kind, value, problems)
    if not _truthy(raw.get("consent") or False):
        problems["consent"] = "err_consent"
    if contact is None or kind not in ("phone", "email"):
        return None, None
    return kind, contact


def check(
    raw: dict[str, Any],
    *,
    scale: int,
    comment_max: int,
    contact_allowed: bool,
    lang: str,
) -> Submission:
    """A :class:`Submission`, or FeedbackProblemsError naming each bad field."""
    problems: dict[str, str] = {}
    score = _score(raw.get("score"), scale, problems)
    comment = raw.get("comment") or ""
    if not isinstance(comment, str):
        problems["comment"] = "err_type_text"
        comment = ""
    comment = _clean(comment)
    if len(comment) > comment_max:
        problems["comment"] = "err_too_long"
    elif has_markup(comment):
        problems["comment"] = "err_markup"
    complaint = _truthy(raw.get("complaint") or False)
    category = raw.get("category") or None
    if complaint:
        if category not in CATEGORIES:
            problems["category"] = "err_category"
        if not comment and "comment" not in problems:
            problems["comment"] = "err_complaint_text"
    else:
        category = None
    contact_kind, contact = _contact_of(raw, complaint, contact_allowed, problems)
    if score is None and not comment and not problems:
        problems["score"] = "err_empty"
    nonce = raw.get("nonce") or None
    if nonce is not None and (not isinstance(nonce, str) or not NONCE.match(nonce)):
        problems["nonce"] = "err_invalid"
    if problems:
        raise FeedbackProblemsError(problems, scale)
    stripped = strip_pii(comment)
    return Submission(
        score=score,
        text=stripped.text,
        pii_removed=stripped.removed,
        is_complaint=complaint,
        category=category,
        contact_kind=contact_kind,
        contact=contact,
        honeypot=bool(str(raw.get("website") or "").strip()),
        nonce=nonce,
        lang=lang,
    )
