"""Why a submission is spam, if it is: the honeypot filled, or too many links.

Spam is stored flagged and hidden, never deleted, and neither counted nor forwarded.
"""

from __future__ import annotations

import re

from collector.feedback.model import Submission

_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
LINKS_SPAM = 3


def spam_reason(sub: Submission) -> str | None:
    if sub.honeypot:
        return "honeypot"
    if len(_URL.findall(sub.text)) >= LINKS_SPAM:
        return "links"
    return None
