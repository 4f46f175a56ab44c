"""Satisfaction analytics for managers: rollups kept at ingest, reports, k-anonymity, exports."""
