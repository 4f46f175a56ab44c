"""Every feedback string exists in Thai and English, and every error key names its field."""

from __future__ import annotations

import re
from pathlib import Path

from collector.feedback.i18n import FEEDBACK_STRINGS, message

SOURCES = Path(__file__).resolve().parents[3] / "collector" / "feedback"


def test_thai_and_english_have_the_same_keys() -> None:
    assert set(FEEDBACK_STRINGS["th"]) == set(FEEDBACK_STRINGS["en"])


def test_every_error_key_the_checker_uses_exists_and_names_the_field() -> None:
    used = set(re.findall(r'"(err_[a-z_]+)"', (SOURCES / "model.py").read_text("utf-8")))
    assert used
    for key in used:
        for lang in ("th", "en"):
            assert key in FEEDBACK_STRINGS[lang], (lang, key)
            text = message(lang, key, "comment", max=10, scale=5)
            label = FEEDBACK_STRINGS[lang]["field_comment"]
            assert text.startswith(label + ":"), (lang, key, text)
            assert "{" not in text, (lang, key, text)
