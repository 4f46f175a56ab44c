"""Which channel a rating came through, read off its rollup's device id.

Button ratings are rolled up under the counter device's id; web ratings (the citizen form,
collector/feedback) under ``web:<counter label>``. A device id never contains ``:`` (ids match
``^[a-z0-9][a-z0-9-]{2,63}$``), so the prefix cannot be forged by a device.
"""

from __future__ import annotations

WEB_PREFIX = "web:"
CHANNELS = ("buttons", "web")


def channel_of(device_id: str) -> str:
    return "web" if device_id.startswith(WEB_PREFIX) else "buttons"


def counter_of(device_id: str, counter_label: str) -> str:
    """The counter a rollup row belongs to: the web form's label, else the stamped label (or
    the device id when the device had no label)."""
    if device_id.startswith(WEB_PREFIX):
        return device_id[len(WEB_PREFIX) :]
    return counter_label or device_id
