"""Shared pytest set-up: the real parts each test area starts (see tests/fixtures/)."""

pytest_plugins = [
    "tests.fixtures.broker",
    "tests.fixtures.pcsc",
    "tests.fixtures.gps",
    "tests.fixtures.postgres",
    "tests.fixtures.smtp",
    "tests.fixtures.centre",
    "tests.fixtures.small_fs",
]
