"""The officer view's HTML: one page that the static script fills from ``/api/card``, the
kiosk's pairing page and the LAN PC's pairing form. No inline script or style (CSP)."""

from __future__ import annotations

from html import escape

from agent.officer_view.display import Lang
from agent.officer_view.i18n import STRINGS, t
from agent.officer_view.settings import OfficeService

FIELDS = (
    "citizen_id",
    "name_th",
    "name_en",
    "birth_date",
    "sex",
    "address",
    "issue_date",
    "expiry_date",
    "issuer",
)
CHECKS = (("applet", "check_applet"), ("check_digit", "check_digit"), ("expiry", "check_expiry"))
STATUS_KEYS = ("idle", "reading", "shown", "timed_out", "read_interrupted", "failed",
               "not_thai_card", "copy_done", "copy_failed", "copy_stale")  # fmt: skip


def _frame(lang: Lang, title: str, body: str, *, token: str = "", switch: str = "") -> str:
    other: Lang = "en" if lang == "th" else "th"
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="officer-token" content="{escape(token)}">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/static/officer.css">'
        '<script src="/static/officer.js" defer></script></head><body>'
        f'<header><h1>{escape(title)}</h1><a class="lang" href="{switch}?lang={other}" '
        f'hreflang="{other}">{escape(t("switch", lang))}</a></header>'
        f"<main>{body}</main></body></html>"
    )


def view_page(lang: Lang, token: str, services: list[OfficeService], kiosk: bool) -> str:
    messages = " ".join(
        f'data-msg-{key.replace("_", "-")}="{escape(t(key, lang))}"' for key in STATUS_KEYS
    )
    rows = "".join(
        f'<dt>{escape(t(name, lang))}</dt><dd id="f-{name}" data-field="{name}"></dd>'
        for name in FIELDS
    )
    checks = "".join(
        f'<li>{escape(t(label, lang))}: <strong id="c-{name}" data-check="{name}"></strong></li>'
        for name, label in CHECKS
    )
    if services:
        options = "".join(
            f'<option value="{escape(s.id)}">{escape(s.name_th if lang == "th" else s.name_en)}'
            "</option>"
            for s in services
        )
        copy = (
            f'<form id="copy" class="copy" hidden><h2>{escape(t("copy_title", lang))}</h2>'
            f'<label for="service">{escape(t("purpose", lang))}</label>'
            f'<select id="service" name="service" required>{options}</select>'
            f'<button type="submit">{escape(t("make_copy", lang))}</button></form>'
        )
    else:
        copy = f'<p class="note">{escape(t("no_services", lang))}</p>'
    pairing = (
        f'<p class="pairing"><a href="/pairing?lang={lang}">{escape(t("pairing", lang))}</a></p>'
        if kiosk
        else ""
    )
    body = (
        f'<p id="status" class="status" role="status" aria-live="polite" data-lang="{lang}" '
        f"{messages}>{escape(t('idle', lang))}</p>"
        f'<section id="card" class="card" hidden aria-labelledby="status">'
        f'<figure><img id="photo" alt="{escape(t("photo", lang))}" hidden>'
        f'<figcaption id="no-photo" hidden>{escape(t("no_photo", lang))}</figcaption></figure>'
        f'<dl>{rows}</dl><h2>{escape(t("checks", lang))}</h2><ul class="checks">{checks}</ul>'
        f"</section>{copy}{pairing}"
    )
    return _frame(lang, t("title", lang), body, token=token, switch="/")


def pairing_page(lang: Lang, token: str, code: str | None, ttl_s: float) -> str:
    shown = ""
    if code is not None:
        shown = (
            f'<p class="code" id="pairing-code">{escape(code[:4])} {escape(code[4:])}</p>'
            f"<p>{escape(t('pairing_code', lang, s=f'{ttl_s:g}'))}</p>"
        )
    body = (
        f'<form method="post" action="/pairing/code?lang={lang}">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f'<button type="submit">{escape(t("pairing_show", lang))}</button></form>{shown}'
        f'<p><a href="/?lang={lang}">{escape(t("back", lang))}</a></p>'
    )
    return _frame(lang, t("pairing", lang), body, token=token, switch="/pairing")


def pair_form(lang: Lang, refused: bool) -> str:
    error = (
        f'<p class="error" role="alert">{escape(t("pair_refused", lang))}</p>' if refused else ""
    )
    body = (
        f'{error}<form method="post" action="/pair?lang={lang}">'
        f'<label for="code">{escape(t("pair_prompt", lang))}</label>'
        '<input id="code" name="code" inputmode="numeric" autocomplete="off" required '
        'pattern="[0-9 ]{8,9}">'
        f'<button type="submit">{escape(t("pair_submit", lang))}</button></form>'
    )
    return _frame(lang, t("pairing", lang), body, switch="/pair")


def not_paired(lang: Lang) -> str:
    body = (
        f"<p>{escape(t('not_paired', lang))}</p>"
        f'<p><a href="/pair?lang={lang}">{escape(t("pairing", lang))}</a></p>'
    )
    return _frame(lang, t("title", lang), body, switch="/")


def all_strings_present() -> bool:
    return all(set(v) == {"th", "en"} for v in STRINGS.values())
