"""Server-rendered account pages: Jinja2 templates extending the site's ``base.html``.

Forms work without JavaScript. Every form carries the CSRF token; errors name the field in the
page's language. ``page_response`` also sets the anonymous CSRF cookie when the form needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from collector.accounts.csrf import anonymous_token, set_anonymous_cookie
from collector.accounts.principal import Principal
from collector.web.i18n import COOKIE_NAME, LANGS, pick_lang, strings
from collector.web.i18n_accounts import ACCOUNT_STRINGS
from collector.web.i18n_managers import MANAGER_STRINGS
from collector.web.pages import API_PREFIX, STATIC_PREFIX, TEMPLATE_DIR

HERE = Path(__file__).resolve().parent
_ENV = Environment(
    loader=ChoiceLoader([FileSystemLoader(HERE / "templates"), FileSystemLoader(TEMPLATE_DIR)]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)


def lang_of(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get(COOKIE_NAME))


def page_strings(lang: str) -> dict[str, str]:
    return {**strings(lang), **ACCOUNT_STRINGS[lang], **MANAGER_STRINGS[lang]}


def field_error(lang: str, key: str, field: str) -> str:
    """``key``'s message with the field's label in ``lang`` (``field_<name>``)."""
    s = page_strings(lang)
    label = s.get(f"field_{field}", field)
    return s.get(key, key).replace("{field}", label)


def render(
    request: Request,
    template: str,
    *,
    principal: Principal | None = None,
    status: int = 200,
    secure: bool = False,
    **extra: Any,
) -> Response:
    lang = lang_of(request)
    s = page_strings(lang)
    csrf = principal.csrf if principal and principal.csrf else anonymous_token(request)
    context = {
        "lang": lang,
        "other_lang": next(code for code in LANGS if code != lang),
        "s": s,
        "path": request.url.path,
        "static": STATIC_PREFIX,
        "config": {"lang": lang, "api": API_PREFIX, "strings": s},
        "csrf_token": csrf,
        "principal": principal,
        "errors": {},
        "values": {},
        "message": None,
        "page": template.removesuffix(".html"),
        **extra,
    }
    response = HTMLResponse(_ENV.get_template(template).render(context), status_code=status)
    if principal is None or principal.csrf is None:
        set_anonymous_cookie(response, csrf, secure)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(COOKIE_NAME, lang, max_age=365 * 24 * 3600, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    return response
