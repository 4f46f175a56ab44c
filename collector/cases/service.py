"""The cases part of a running collector: its settings, contact sealer and forwarder task.

:func:`start_cases` is called by :class:`collector.runtime.Collector` once the database is open;
the API routes reach the result as ``collector.cases``.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from collector.cases.forwarder import CaseForwarder, make_transport
from collector.cases.sealing import ContactSealer, use_sealer
from collector.cases.settings import CaseSettings, load_case_settings, transport_problem
from collector.errors import ConfigError
from collector.storage import Driver


@dataclass
class Cases:
    settings: CaseSettings
    sealer: ContactSealer
    forwarder: CaseForwarder

    async def stop(self) -> None:
        await self.forwarder.stop()


def start_cases(
    driver: Driver, registry: CollectorRegistry, settings: CaseSettings | None = None
) -> Cases:
    """Build the sealer (installed for :func:`open_case`) and start the forwarder task."""
    s = settings or load_case_settings()
    sealer = ContactSealer(s.contact_keys)
    if sealer.ready:  # else keep a sealer installed earlier (tests), or none
        use_sealer(sealer)
    problem = transport_problem(s)
    if problem:
        raise ConfigError(problem)
    transport = make_transport(s)
    forwarder = CaseForwarder(driver, s, sealer, transport=transport, registry=registry)
    forwarder.start()
    return Cases(s, sealer, forwarder)
