"""Pydantic validation errors → one message per form field, in the page's language."""

from __future__ import annotations

from pydantic import ValidationError

from collector.accounts.render import field_error

_KEYS = {
    "missing": "err_required",
    "string_too_short": "err_required",
    "string_too_long": "err_too_long",
    "too_long": "err_too_long",
}
_PATTERN_KEYS = {"email": "err_email", "phone": "err_phone"}


def field_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    """{field: message}; the first problem of each field wins."""
    errors: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "_form"
        if field in errors:
            continue
        if err["type"] == "string_pattern_mismatch":
            key = _PATTERN_KEYS.get(field, "err_invalid")
        else:
            key = _KEYS.get(err["type"], "err_invalid")
        errors[field] = field_error(lang, key, field)
    return errors
