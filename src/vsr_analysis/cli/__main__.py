"""``python -m vsr_analysis.cli``: the ``vsr`` command (used where the console script may not be on PATH)."""

import sys

from vsr_analysis.cli import main

sys.exit(main())
