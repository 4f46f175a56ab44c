"""Server-rendered feedback pages: Jinja2 templates extending the site's ``base.html``.

Like the account pages (collector/accounts/render.py), with this part's strings and templates
first in the search path. Forms work without JavaScript.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from collector.accounts.csrf import anonymous_token, set_anonymous_cookie
from collector.accounts.principal import Principal
from collector.accounts.render import HERE as ACCOUNTS_DIR
from collector.accounts.render import lang_of, page_strings
from collector.feedback.i18n import FEEDBACK_STRINGS
from collector.web.i18n import COOKIE_NAME, LANGS
from collector.web.pages import API_PREFIX, STATIC_PREFIX, TEMPLATE_DIR

HERE = Path(__file__).resolve().parent
_ENV = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(HERE / "templates"),
            FileSystemLoader(ACCOUNTS_DIR / "templates"),
            FileSystemLoader(TEMPLATE_DIR),
        ]
    ),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)


def strings(lang: str) -> dict[str, str]:
    return {**page_strings(lang), **FEEDBACK_STRINGS[lang]}


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
    s = strings(lang)
    csrf = principal.csrf if principal and principal.csrf else anonymous_token(request)
    context = {
        "lang": lang,
        "other_lang": next(code for code in LANGS if code != lang),
        "s": s,
        "path": request.url.path,
        "static": STATIC_PREFIX,
        "config": {"lang": lang, "api": API_PREFIX},
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
