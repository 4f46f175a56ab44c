"""Server-rendered feedback pages: Jinja2 templates extending the site's ``base.html``.

Rendering is ``collector.web.form_pages``, as for the account pages; this part's templates come
first in the search path, then the account templates (their form macros). The feedback pages
run no script of their own, so their strings are not handed to scripts.
"""

from __future__ import annotations

from pathlib import Path

from collector.accounts.render import HERE as ACCOUNTS_DIR
from collector.accounts.render import page_strings
from collector.feedback.i18n import FEEDBACK_STRINGS
from collector.web.form_pages import FormPages

HERE = Path(__file__).resolve().parent


def strings(lang: str) -> dict[str, str]:
    return {**page_strings(lang), **FEEDBACK_STRINGS[lang]}


render = FormPages(
    [HERE / "templates", ACCOUNTS_DIR / "templates"], strings, strings_for_scripts=False
).render
