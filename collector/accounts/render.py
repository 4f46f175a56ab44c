"""Server-rendered account pages: Jinja2 templates extending the site's ``base.html``.

Rendering is ``collector.web.form_pages`` (forms without JavaScript, the CSRF token in every
form, the anonymous CSRF cookie when the form needs it); this module names the account part's
templates and strings, and words errors so that they name the field in the page's language.
"""

from __future__ import annotations

from pathlib import Path

from collector.web.form_pages import FormPages, lang_of
from collector.web.i18n import strings
from collector.web.i18n_accounts import ACCOUNT_STRINGS
from collector.web.i18n_managers import MANAGER_STRINGS

__all__ = ["HERE", "field_error", "lang_of", "page_strings", "render"]

HERE = Path(__file__).resolve().parent


def page_strings(lang: str) -> dict[str, str]:
    return {**strings(lang), **ACCOUNT_STRINGS[lang], **MANAGER_STRINGS[lang]}


def field_error(lang: str, key: str, field: str) -> str:
    """``key``'s message with the field's label in ``lang`` (``field_<name>``)."""
    s = page_strings(lang)
    label = s.get(f"field_{field}", field)
    return s.get(key, key).replace("{field}", label)


render = FormPages([HERE / "templates"], page_strings, strings_for_scripts=True).render
