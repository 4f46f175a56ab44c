"""Contacts at rest: AES-256-GCM (pyca ``cryptography``) under a key id, bound to the case id.

The case id is the associated data, so a sealed contact copied onto another case does not open.
Several keys may be configured (rotation): new contacts use the first; older ones open with the
key their row names.
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from collector.cases.model import CaseContact
from collector.cases.settings import CaseSettings
from collector.errors import ConfigError

_NONCE = 12


class ContactSealError(Exception):
    """A sealed contact could not be opened (unknown key id, or tampered)."""


class ContactSealer:
    def __init__(self, keys: dict[str, bytes]) -> None:
        self._keys = dict(keys)
        self.current_id = next(iter(self._keys), None)

    @property
    def ready(self) -> bool:
        return self.current_id is not None

    def seal(self, case_id: str, contact: CaseContact) -> tuple[str, bytes]:
        if self.current_id is None:
            raise ConfigError("CF_CASES_CONTACT_KEYS: not set, so no contact can be stored")
        nonce = os.urandom(_NONCE)
        plain = json.dumps({"kind": contact.kind, "value": contact.value}).encode()
        sealed = AESGCM(self._keys[self.current_id]).encrypt(nonce, plain, case_id.encode())
        return self.current_id, nonce + sealed

    def open(self, case_id: str, key_id: str, sealed: bytes) -> CaseContact:
        key = self._keys.get(key_id)
        if key is None:
            raise ContactSealError(f"contact sealed with unknown key id {key_id!r}")
        try:
            plain = AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], case_id.encode())
        except InvalidTag:
            raise ContactSealError("contact does not open (tampered or wrong case)") from None
        data = json.loads(plain)
        return CaseContact(kind=data["kind"], value=data["value"])


_SEALER: ContactSealer | None = None


def sealer() -> ContactSealer:
    """The process's sealer (from ``CF_CASES_CONTACT_KEYS`` unless :func:`use_sealer` set one)."""
    global _SEALER  # noqa: PLW0603 - one per process, set at start or first use
    if _SEALER is None:
        _SEALER = ContactSealer(CaseSettings().contact_keys)
    return _SEALER


def use_sealer(value: ContactSealer | None) -> None:
    """Install the sealer built from the app's settings (``None``: read the environment again)."""
    global _SEALER  # noqa: PLW0603
    _SEALER = value


def contacts_enabled() -> bool:
    """Whether a contact can be stored (a key is configured): offer the field only then."""
    return sealer().ready
