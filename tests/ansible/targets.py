"""Throwaway Debian 12 targets for the Ansible tests: debootstrap rootfs directories reached
through the ``community.general.chroot`` connection (no Pi, no Docker, no systemd as PID 1).

The minbase rootfs (with systemd and udev, as on Raspberry Pi OS) is built once and kept as a
tarball in a cache directory outside the repository; downloaded .deb files are kept there too, so
a repeated run spends its time installing, not downloading.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

CACHE_DIR = Path(
    os.environ.get(
        "CF_ANSIBLE_TARGET_CACHE", Path.home() / ".cache/citizen-feedback/ansible-targets"
    )
)
MIRROR = os.environ.get("CF_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# Raspberry Pi OS always has systemd and udev; minbase has neither.
_INCLUDE = "systemd,udev"
TARBALL = CACHE_DIR / "bookworm-minbase-systemd-udev.tar"
APT_ARCHIVES = CACHE_DIR / "apt-archives"
# Where the host's CA bundle goes in a target (for pip behind a TLS-inspecting proxy).
HOST_CA_BUNDLE = "/etc/ssl/certs/cf-host-ca-bundle.crt"

# What a Raspberry Pi OS bookworm image has on its boot partition (trimmed).
PI_CONFIG_TXT = "# Raspberry Pi OS\ndtparam=audio=on\ncamera_auto_detect=1\n\n[all]\n"
PI_CMDLINE_TXT = (
    "console=serial0,115200 console=tty1 root=PARTUUID=deadbeef-02 rootfstype=ext4 fsck.repair=yes"
    " rootwait\n"
)


class TargetError(RuntimeError):
    """A throwaway target could not be built (names the step)."""


def rootfs_tarball() -> Path:
    """The cached minbase tarball, built with debootstrap when missing (about a minute)."""
    if TARBALL.exists():
        return TARBALL
    if shutil.which("debootstrap") is None:
        raise TargetError("debootstrap is not installed (scripts/setup.sh installs it)")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cf-debootstrap-", dir=CACHE_DIR) as tmp:
        rootfs = Path(tmp, "rootfs")
        _LOGGER.info("building the Debian 12 minbase rootfs in %s", rootfs)
        result = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={_INCLUDE}",
                "bookworm",
                str(rootfs),
                MIRROR,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise TargetError(f"debootstrap failed: {result.stdout[-400:]}{result.stderr[-400:]}")
        partial = TARBALL.with_suffix(f".{os.getpid()}.partial")  # sessions may race here
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
        partial.rename(TARBALL)
    return TARBALL


def make_target(dest: Path, *, raspberry_pi_boot: bool = False) -> Path:
    """Unpack a fresh rootfs at ``dest``; packages never start daemons in it (policy-rc.d)."""
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-C", str(dest), "-xf", str(rootfs_tarball())], check=True)
    # A booted system has a world-writable tmpfs here (Python's multiprocessing locks need it).
    (dest / "dev/shm").chmod(0o1777)
    policy = dest / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# throwaway target: never start daemons\nexit 101\n")
    policy.chmod(0o755)
    # The host may reach PyPI through a TLS-inspecting proxy: let pip in the target trust what
    # the host trusts (the roles pass it with --cert through *_pip_extra_args).
    host_bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if host_bundle.exists():
        bundle = dest / HOST_CA_BUNDLE.lstrip("/")
        bundle.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(host_bundle, bundle)
    archives = dest / "var/cache/apt/archives"
    if APT_ARCHIVES.is_dir():
        for deb in APT_ARCHIVES.glob("*.deb"):
            shutil.copy2(deb, archives / deb.name)
    if raspberry_pi_boot:
        boot = dest / "boot/firmware"
        boot.mkdir(parents=True, exist_ok=True)
        (boot / "config.txt").write_text(PI_CONFIG_TXT)
        (boot / "cmdline.txt").write_text(PI_CMDLINE_TXT)
    return dest


def keep_downloads(rootfs: Path) -> None:
    """Copy the .deb files the run downloaded into the cache, for the next run."""
    APT_ARCHIVES.mkdir(parents=True, exist_ok=True)
    for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        target = APT_ARCHIVES / deb.name
        if not target.exists():
            # Copy, then rename: another test session may be unpacking the cache meanwhile.
            partial = target.with_name(f".{deb.name}.{os.getpid()}.partial")
            shutil.copy2(deb, partial)
            partial.replace(target)


def in_target(rootfs: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a command inside the target (chroot), capturing its output."""
    return subprocess.run(
        ["chroot", str(rootfs), *argv], capture_output=True, text=True, timeout=timeout, check=False
    )


def remove_target(rootfs: Path) -> None:
    """Delete a target directory (nothing is mounted in it)."""
    shutil.rmtree(rootfs, ignore_errors=True)
