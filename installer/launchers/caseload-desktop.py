"""The bundle's desktop app (``caseload-desktop``): PyInstaller runs this file as ``__main__``."""

import sys

from caseload_desktop.app import main

sys.exit(main())
