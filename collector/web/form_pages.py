"""Server-rendered pages with forms: the page context and response every such part shares.

The account pages (``collector/accounts/render.py``) and the feedback pages
(``collector/feedback/render.py``) each make one :class:`FormPages` with their own template
folders (searched first) and strings. Forms work without JavaScript. Every page carries the
CSRF token: the session's when logged in, else the browser's double-submit token, whose cookie
the response then sets. Pages are never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from collector.accounts.csrf import anonymous_token, set_anonymous_cookie
from collector.accounts.principal import Principal
from collector.web.i18n import COOKIE_NAME, LANGS, pick_lang
from collector.web.page_renderer import API_PREFIX, COOKIE_MAX_AGE_S, STATIC_PREFIX, TEMPLATE_DIR


def lang_of(request: Request) -> str:
    """The page's language: ``?lang=``, else the language cookie, else Thai."""
    return pick_lang(request.query_params.get("lang"), request.cookies.get(COOKIE_NAME))


class FormPages:
    """Renders one part's templates (then the site's ``base.html`` and others) with its strings.

    ``strings_for_scripts`` also hands the strings to the page's scripts (``config.strings``);
    parts whose pages run no script of their own leave them out of the page.
    """

    def __init__(
        self,
        template_dirs: list[Path],
        strings: Callable[[str], dict[str, str]],
        *,
        strings_for_scripts: bool,
    ) -> None:
        self._strings = strings
        self._strings_for_scripts = strings_for_scripts
        self._env = Environment(
            loader=ChoiceLoader([FileSystemLoader(d) for d in [*template_dirs, TEMPLATE_DIR]]),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=StrictUndefined,
        )

    def render(
        self,
        request: Request,
        template: str,
        *,
        principal: Principal | None = None,
        status: int = 200,
        secure: bool = False,
        **extra: Any,
    ) -> Response:
        lang = lang_of(request)
        s = self._strings(lang)
        csrf = principal.csrf if principal and principal.csrf else anonymous_token(request)
        config: dict[str, Any] = {"lang": lang, "api": API_PREFIX}
        if self._strings_for_scripts:
            config["strings"] = s
        context = {
            "lang": lang,
            "other_lang": next(code for code in LANGS if code != lang),
            "s": s,
            "path": request.url.path,
            "static": STATIC_PREFIX,
            "config": config,
            "csrf_token": csrf,
            "principal": principal,
            "errors": {},
            "values": {},
            "message": None,
            "page": template.removesuffix(".html"),
            **extra,
        }
        html = self._env.get_template(template).render(context)
        response = HTMLResponse(html, status_code=status)
        if principal is None or principal.csrf is None:
            set_anonymous_cookie(response, csrf, secure)
        if request.query_params.get("lang") in LANGS:
            response.set_cookie(COOKIE_NAME, lang, max_age=COOKIE_MAX_AGE_S, samesite="lax")
        response.headers["Cache-Control"] = "no-store"
        return response
