"""Accounts and scope: people with passwords, sessions, roles, agencies, registration, surveys.

Nothing is imported here on purpose: ``collector.api.deps`` imports :mod:`.principal`, and the
routers (:mod:`.install`) import ``deps``; an eager import would make that a cycle.
"""
