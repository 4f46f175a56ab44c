"""The parts of ``make demo`` (``scripts/demo.py``), one job a module.

- ``options``: the command line and ``DEMO_*`` variables.
- ``readiness``: free ports, waiting until a part listens or is ready, ``DemoError``.
- ``stack``: the state directory, the broker, the collector and the simulator.
- ``centre``: the fake 1111 centre the collector forwards complaints to.
- ``collector_cli``: what the demo asks ``python -m collector``: tokens, the manager, a QR link.
- ``banner``: the links and credentials printed for the user.
- ``run``: the parts started in order and stopped in reverse.
"""
