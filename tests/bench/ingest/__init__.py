"""Helpers of ``tests/bench/bench_ingest.py`` (see its docstring); one job per module:

| module | job |
|---|---|
| ``roles.py`` | child processes: the backlog publisher, the bare paho subscribers (v5 and 3.1.1) |
| ``measure.py`` | CPU of a process tree, stored-row counts (SQLite, PostgreSQL), log lines |
| ``consumers.py`` | draining the backlog: ``mosquitto_sub``, bare paho, the collector (N workers) |
| ``latency.py`` | publish -> committed and acked latency at a steady rate |
"""
