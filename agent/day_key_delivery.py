"""``day_key.set``: install the day key the collector delivers (PROTOCOL.md "Visitor pseudonym").

The collector sends the device's office key for tomorrow before the office-local midnight (and
today's when it was never acknowledged). The key goes into the same file the card reader uses,
atomically and mode 0600, through :class:`~agent.card.day_key_store.DayKeyStore` (owner check,
today/tomorrow only, never a weaker scheme). The key itself is never logged or echoed.
"""

from __future__ import annotations

from datetime import date

from agent.config import AgentConfig
from agent.errors import AgentError


def install_delivered_key(
    config: AgentConfig, scheme: str, office: str, day: date, key: bytes
) -> str:
    """Store one delivered key; returns the ``command.result`` detail, or raises AgentError."""
    if config.card.backend == "none":
        raise AgentError("card: this device has no card reader and holds no day keys")
    if config.device.office is not None and office != config.device.office:
        raise AgentError(f"office: {office} is not this device's office {config.device.office}")
    if scheme != "cf2":  # the only scheme ever delivered; cf1 keys come from files only
        raise AgentError(f"scheme: {scheme!r} keys are not taken over the commands channel")
    try:
        from agent.card.day_key_store import DayKeyStore  # noqa: PLC0415
        from agent.card.errors import CardError  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - the card extra is part of the agent
        raise AgentError(f"card: day keys unavailable: {exc}") from exc
    try:
        store = DayKeyStore(config.card.day_keys_path, check_owner=config.card.check_key_file_owner)
        return store.install("cf2", office, day, key)
    except CardError as exc:
        raise AgentError(str(exc)) from None
