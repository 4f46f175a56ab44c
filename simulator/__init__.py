"""The fleet simulator: many counters at Chiang Mai's district offices, each the real agent.

``python -m simulator`` (see :mod:`simulator.cli`) builds one :class:`agent.runtime.Agent`
per counter with simulated hardware (card source, MockFactory panel, GPS) and drives them
through accelerated office days, so the collector, the map and the fleet page have something
realistic to show.
"""
