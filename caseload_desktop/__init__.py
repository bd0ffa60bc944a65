"""Caseload Desktop: a team manager's view of allocated, orphaned and unallocated cases."""

from importlib import metadata

try:
    __version__ = metadata.version("caseload-desktop")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

APP_NAME = "Caseload Desktop"
ORG_NAME = "Caseload Desktop"
