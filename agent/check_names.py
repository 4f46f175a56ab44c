"""The names of ``agent check``'s checks, apart from their code: the command line needs them
for ``--skip`` while ``agent run`` must not import the checks (see ``agent/__main__.py``)."""

CHECK_NAMES = ("reader", "card", "broker", "gps", "leds", "clock")
