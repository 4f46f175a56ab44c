"""What the account routes share in one app: settings, the client limiter and the mailer."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from collector.accounts.mailer import Mailer
from collector.accounts.settings import AccountSettings
from collector.accounts.throttle import ClientLimiter


@dataclass
class AccountContext:
    settings: AccountSettings
    limiter: ClientLimiter = field(init=False)
    mailer: Mailer = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = ClientLimiter(self.settings)
        self.mailer = Mailer(self.settings)


def get_context(request: Request) -> AccountContext:
    context: AccountContext = request.app.state.accounts
    return context


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
