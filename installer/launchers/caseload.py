"""The bundle's command line (``caseload``): PyInstaller runs this file as ``__main__``."""

import sys

from caseload_desktop.cli import main

sys.exit(main())
