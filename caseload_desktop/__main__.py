"""``python -m caseload_desktop``: the command-line interface."""

import sys

from caseload_desktop.cli import main

sys.exit(main())
