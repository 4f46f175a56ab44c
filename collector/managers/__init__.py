"""Managers' part of issue 12 beyond the base analytics: breakdowns by counter, service and
channel, zero-copy over time, threshold alerts per office and their delivery."""
