"""``python -m agent.simulate`` is the same as ``python -m agent simulate``."""

import sys

from agent.simulate.cli import main

sys.exit(main())
