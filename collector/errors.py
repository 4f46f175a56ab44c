"""The collector's one error tree: callers catch ``CollectorError`` and show its one line."""

from __future__ import annotations


class CollectorError(Exception):
    """Anything the collector reports to an operator as a single line."""


class ConfigError(CollectorError, ValueError):
    """Bad configuration; the message names the setting (``CF_...``) and what it expects."""


class StorageError(CollectorError):
    """The database refused or failed an operation."""


class TransientStorageError(StorageError):
    """A failure worth retrying (deadlock, serialization failure, lost connection)."""


class NotFoundError(CollectorError, LookupError):
    """A registry record (office, device, token) that does not exist."""


class ConflictError(CollectorError):
    """A write that contradicts the registry (e.g. a device of an unknown office)."""


class ForbiddenError(CollectorError):
    """The caller is known but may not do this (e.g. a technician outside its scope)."""
