"""Shared pytest set-up: the real parts each test area starts (see tests/fixtures/)."""

pytest_plugins = [
    "tests.fixtures.broker",
    "tests.fixtures.pcsc",
    "tests.fixtures.gps",
    "tests.fixtures.postgres",
    "tests.fixtures.pg_standby",
    "tests.fixtures.smtp",
    "tests.fixtures.centre",
    "tests.fixtures.webhook",
    "tests.fixtures.small_fs",
    "tests.fixtures.cups",
    "tests.fixtures.xdist_groups",
    "tests.fixtures.xdist_compat",
    "tests.faults.report",
]
