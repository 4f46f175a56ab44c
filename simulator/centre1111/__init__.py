"""A fake 1111 complaint centre: a real HTTP server that takes cases and can fail on command.

Development only (tests and ``make demo``). See :mod:`simulator.centre1111.server`.
"""
