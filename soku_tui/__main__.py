"""``python -m soku_tui``: the same as the ``soku-tui`` command."""

import sys

from soku_tui.cli import main

sys.exit(main())
