"""Is a USB smart card reader (CCID class) attached, whatever pcscd thinks?

Field problem on the Pi 4: a reader that the kernel enumerates but pcscd never lists until it
is replugged. Seeing a CCID interface in sysfs while PC/SC has no reader tells the two apart
from a reader that is simply unplugged.
"""

from __future__ import annotations

from pathlib import Path

SYSFS_USB_DEVICES = Path("/sys/bus/usb/devices")
CCID_INTERFACE_CLASS = "0b"


def ccid_interfaces(root: Path = SYSFS_USB_DEVICES) -> list[str]:
    """Names of USB interfaces of class 0x0B (smart card), e.g. ``1-1.3:1.0``; [] if none."""
    found = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    for entry in entries:
        try:
            cls = (entry / "bInterfaceClass").read_text(encoding="ascii").strip().lower()
        except OSError:
            continue
        if cls == CCID_INTERFACE_CLASS:
            found.append(entry.name)
    return found
