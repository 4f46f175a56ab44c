"""What the settings models of the collector's parts share (accounts, feedback, cases, managers,
web pages): the ``CF_<NAME>`` environment rule, and the checked public address.

Each part keeps its own model, apart from :class:`collector.config.Settings`, so that it plugs in
without touching the settings every other part reads; the rule they follow is defined once here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_settings import BaseSettings, SettingsConfigDict


class PartSettings(BaseSettings):
    """A part's settings: each field is one ``CF_<NAME>`` variable; other ``CF_*`` variables
    belong to other parts and are ignored; the values are frozen once read."""

    model_config = SettingsConfigDict(env_prefix="CF_", extra="ignore", frozen=True)


def _public_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


PublicUrl = Annotated[str, AfterValidator(_public_url)]
"""The address people open (``CF_PUBLIC_URL``): http(s), kept without a trailing slash, so that
links are built as ``f"{public_url}/path"``."""
