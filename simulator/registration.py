"""Registers the simulated offices and devices with the collector over its HTTP API.

The same calls a technician (or Ansible) makes at enrolment: ``PUT /api/v1/offices/{id}`` and
``PUT /api/v1/devices/{id}`` with a bearer token. Stdlib HTTP only: the agent's dependencies
stay what a Pi installs.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from agent.errors import AgentError
from simulator.offices import AGENCY, PROVINCE, CounterSite, Office

_LOGGER = logging.getLogger(__name__)


class RegistrationError(AgentError):
    """The collector refused or could not be reached."""


class CollectorApi:
    """Just enough of the collector's API for enrolment."""

    def __init__(self, base_url: str, token: str | None, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout_s

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's collector)
            self.base_url + path, data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise RegistrationError(f"{method} {path}: HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistrationError(f"{method} {path}: collector unreachable: {reason}") from None

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait for ``/healthz`` (the collector may still be starting)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._request("GET", "/healthz")
                return
            except RegistrationError as exc:
                if time.monotonic() >= deadline:
                    raise RegistrationError(f"{self.base_url} not ready: {exc}") from None
                time.sleep(0.3)

    def put_office(self, office: Office) -> None:
        self._request(
            "PUT",
            f"/api/v1/offices/{office.office_id}",
            {
                "office_id": office.office_id,
                "name_th": office.name_th,
                "name_en": office.name_en,
                "agency": AGENCY,
                "province": PROVINCE,
                "lat": office.lat,
                "lon": office.lon,
            },
        )

    def put_device(self, site: CounterSite) -> None:
        self._request(
            "PUT",
            f"/api/v1/devices/{site.device_id}",
            {
                "device_id": site.device_id,
                "office_id": site.office.office_id,
                "counter_label": f"ช่องบริการ {site.number} / Counter {site.number}",
            },
        )

    def get(self, path: str) -> Any:
        return self._request("GET", path)


def register(api: CollectorApi, sites: list[CounterSite]) -> None:
    """Register every office that hosts a counter, then every counter."""
    offices = {s.office.office_id: s.office for s in sites}
    for office in offices.values():
        api.put_office(office)
    for site in sites:
        api.put_device(site)
    _LOGGER.info("registered %d offices and %d devices", len(offices), len(sites))
