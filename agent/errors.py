"""The agent's one error tree: callers catch :class:`AgentError` and print its one line."""

from __future__ import annotations


class AgentError(Exception):
    """Anything the agent reports to a person as one line (no traceback)."""


class ConfigError(AgentError, ValueError):
    """The config file is missing, unreadable or invalid; the message names file and field."""


class OutboxError(AgentError, OSError):
    """The outbox database cannot be opened or written."""
