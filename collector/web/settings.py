"""Web page settings (``CF_TILE_*``), kept apart from the collector's own settings model.

Most district offices and this test machine have no internet, so the default is no tile layer at
all: the map then draws its own lat/lon grid and the province box.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from collector.part_settings import PartSettings


class WebSettings(PartSettings):
    """What the map pages can be told; each field is one ``CF_<NAME>`` variable."""

    tile_url: str = Field(
        "",
        description="Leaflet tile URL template, e.g. https://tile.example/{z}/{x}/{y}.png; "
        "empty = no background tiles",
    )
    tile_attribution: str = Field(
        "", description="attribution text (HTML allowed) the tile provider requires"
    )
    tile_max_zoom: int = Field(18, ge=1, le=22, description="highest zoom the tiles offer")

    @field_validator("tile_url")
    @classmethod
    def _check_tile_url(cls, value: str) -> str:
        value = value.strip()
        if value and not (value.startswith(("http://", "https://", "/")) and "{z}" in value):
            raise ValueError("must be an http(s) or /path URL template containing {z}, {x}, {y}")
        return value
