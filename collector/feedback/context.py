"""What the feedback routes share in one app: settings, the rate limiter, the token signer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from collector.cases.sealing import sealer
from collector.feedback.abuse import FeedbackLimiter
from collector.feedback.keys import Signer
from collector.feedback.settings import FeedbackSettings
from collector.storage import Driver


@dataclass
class FeedbackContext:
    settings: FeedbackSettings
    limiter: FeedbackLimiter = field(init=False)
    _signers: dict[int, Signer] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.limiter = FeedbackLimiter(self.settings)

    def signer(self, driver: Driver) -> Signer:
        found = self._signers.get(id(driver))
        if found is None or found.driver is not driver:
            found = self._signers[id(driver)] = Signer(driver, self.settings)
        return found

    @staticmethod
    def contact_allowed() -> bool:
        """Contacts are taken only when the cases part can seal them (CF_CASES_CONTACT_KEYS)."""
        return sealer().ready


def get_feedback(request: Request) -> FeedbackContext:
    context: FeedbackContext = request.app.state.feedback
    return context


FeedbackDep = Annotated[FeedbackContext, Depends(get_feedback)]
