"""``make demo``'s service catalogue: the 10 sample services, offered at every demo office.

Waits until the simulator has registered its offices, then imports, over the collector's API (as
a technician would), the sample services (collector/data/services-sample.json), office hours
(Monday to Friday 08:30-16:30, office-local) and one offering per office and service. Every
third office still declares a photocopy of the first document of each service, so the zero-copy
section shows both declared states beside the counters' measured copy requests.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "collector" / "data" / "services-sample.json"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


class DemoServicesError(RuntimeError):
    """The catalogue could not be loaded; the message says why in one line."""


def _request(url: str, token: str | None = None, body: bytes | None = None) -> Any:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310 (loopback URL built by the demo)
        url, data=body, headers=headers, method="POST" if body is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise DemoServicesError(f"{url}: HTTP {exc.code} {detail}") from exc
    except (OSError, ValueError) as exc:
        raise DemoServicesError(f"{url}: {exc}") from exc


def wait_for_offices(url: str, timeout_s: float = 60.0) -> list[str]:
    """Office ids once the registered devices stop changing (the simulator registers at start)."""
    deadline = time.monotonic() + timeout_s
    last: tuple[int, int] | None = None
    while time.monotonic() < deadline:
        offices = _request(f"{url}/api/v1/offices?limit=1000")["features"]
        devices = sum(len(f["properties"]["devices"]) for f in offices)
        now = (len(offices), devices)
        if offices and devices and now == last:
            return sorted(f["id"] for f in offices)
        last = now
        time.sleep(1.0)
    raise DemoServicesError(f"no registered offices at {url} within {timeout_s:.0f} s")


def demo_catalogue(office_ids: list[str]) -> dict[str, Any]:
    services = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return {
        "services": services,
        "office_hours": [
            {"office_id": o, "hours": {d: ["08:30-16:30"] for d in WEEKDAYS}} for o in office_ids
        ],
        "offerings": [
            {
                "office_id": o,
                "service_id": s["service_id"],
                "counters": ["1", "2"],
                "copies_demanded": [1] if i % 3 == 2 and s["documents"] else [],
                "copies_made_free": i % 3 != 2,
            }
            for i, o in enumerate(office_ids)
            for s in services
        ],
    }


def load_demo_services(url: str, token: str) -> str:
    """Import the demo catalogue; return the collector's one-line summary."""
    catalogue = demo_catalogue(wait_for_offices(url))
    body = json.dumps(catalogue, ensure_ascii=False).encode("utf-8")
    answer = _request(f"{url}/api/v1/services/import", token, body)
    return str(answer["summary"])
