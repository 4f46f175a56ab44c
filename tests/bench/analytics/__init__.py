"""Helpers of ``tests/bench/bench_analytics.py`` (see its docstring); one job per module:

| module | job |
|---|---|
| ``generate.py`` | a year of ratings, its rollups and report tables, in SQL (SQLite, PostgreSQL) |
| ``baseline.py`` | the plain SQL figures: raw events, no rollups |
| ``server.py`` | the collector's app in its own uvicorn process on loopback |
| ``measure.py`` | the endpoints timed beside plain SQL, their answers checked equal |
"""
