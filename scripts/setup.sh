#!/usr/bin/env bash
# Idempotent set-up for development, CI and the demo on Debian 12 / Raspberry Pi OS bookworm:
# system packages (apt-get, sudo when not root, only what is missing), the .venv with every extra,
# and the services the tests need that a machine may not have started (PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Keep in step with docs/TESTING.md. chromium is for the browser tests of the web pages;
# fonts-tlwg-loma-otf (a small Thai font) makes their Thai text readable in the screenshots.
# nginx-light: `nginx -t` checks the collector's TLS proxy site (tests/ansible/test_static.py).
APT_PACKAGES=(mosquitto mosquitto-clients pcscd libpcsclite-dev swig gcc python3-dev
  vsmartcard-vpcd python3-virtualsmartcard gpsd gpsd-clients socat openssl debootstrap
  chromium chromium-driver fonts-tlwg-loma-otf postgresql-client systemd prometheus
  cups cups-client printer-driver-cups-pdf poppler-utils nginx-light)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

pick_python() {
  for c in python3.13 python3.12 python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 &&
       "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  echo "setup: Python 3.11 or newer is needed" >&2; return 1
}

if [ ! -x "$VENV/bin/python" ]; then
  py=$(pick_python)
  echo "setup: creating $VENV with $py"
  "$py" -m venv "$VENV"
fi

stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project into $VENV (agent, collector, sim and dev extras)"
  log=$(mktemp)
  if ! { "$VENV/bin/python" -m pip install -q --upgrade pip &&
         "$VENV/bin/python" -m pip install -q -e '.[agent,collector,sim,dev]'; } >"$log" 2>&1; then
    grep -v 'is ignored: it is neither' "$log" | tail -n 30 >&2
    echo "setup: pip install failed (full log: $log)" >&2
    exit 1
  fi
  rm -f "$log"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# python3-virtualsmartcard installs its package one directory too deep, off sys.path.
# Debian puts it under /usr/lib/python3/site-packages (not dist-packages).
vsc_file=$(find /usr/lib/python3/dist-packages /usr/lib/python3/site-packages \
  -path '*virtualsmartcard/VirtualSmartcard.py' 2>/dev/null | head -n 1 || true)
vsc_dir=""
if [ -n "$vsc_file" ]; then vsc_dir=$(dirname "$(dirname "$vsc_file")"); fi
if [ -n "$vsc_dir" ] && [ -d "$vsc_dir" ]; then
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$vsc_dir" > "$site/virtualsmartcard-debian.pth"
fi

# PostgreSQL: the development and CI machines run it on 127.0.0.1:5432; start it if it is down.
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "setup: starting PostgreSQL"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi

# vpcd (the virtual card reader of the tests) listens on fixed ports 35963-35964, which lie in the
# kernel's ephemeral range: reserve them so that no outgoing connection takes one just as pcscd
# starts (best effort; tests/fixtures/pcsc.py also retries a start that lost its port).
reserved=/proc/sys/net/ipv4/ip_local_reserved_ports
if [ -r "$reserved" ] && ! grep -q '35963' "$reserved"; then
  current=$(cat "$reserved")
  echo "${current:+$current,}35963-35964" | $SUDO tee "$reserved" >/dev/null 2>&1 ||
    echo "setup: could not reserve ports 35963-35964 for vpcd (tests retry instead)" >&2
fi
