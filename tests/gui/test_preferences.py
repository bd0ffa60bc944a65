"""Personal preferences: typed options with defaults, and older files upgraded on open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from PySide6 import QtCore

from caseload_desktop.ui import preferences as prefs
from caseload_desktop.ui.preferences import Preferences

VERSION_1_FILE = """\
[preferences]
version=1

[board]
last_team=Assessment and Intervention North

[layout]
main_window\\geometry=@ByteArray()
"""


def open_file(path: Path) -> Preferences:
    return Preferences(QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat))


def test_a_version_1_file_is_upgraded_and_keeps_the_last_team(tmp_path: Path) -> None:
    path = tmp_path / "old.ini"
    path.write_text(VERSION_1_FILE, encoding="utf-8")
    preferences = open_file(path)
    assert preferences.last_team == "Assessment and Intervention North"
    assert preferences.get(prefs.OPEN_LAST_TEAM) is True
    preferences.sync()
    text = path.read_text(encoding="utf-8")
    assert "[board]" not in text and "version=2" in text
    assert "[start]\nlast_team=Assessment and Intervention North" in text
    assert open_file(path).last_team == "Assessment and Intervention North"  # once is enough


def test_a_new_file_starts_at_this_version_with_the_defaults(tmp_path: Path) -> None:
    preferences = open_file(tmp_path / "new.ini")
    assert preferences.settings.value("preferences/version") == prefs.VERSION == 2
    assert [preferences.get(option) for option in prefs.OPTIONS] == [
        option.default for option in prefs.OPTIONS
    ]


def test_a_file_from_a_newer_version_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "newer.ini"
    path.write_text("[preferences]\nversion=3\n\n[start]\nlast_team=East\n", encoding="utf-8")
    preferences = open_file(path)
    assert preferences.last_team == "East"
    preferences.sync()
    assert "version=3" in path.read_text(encoding="utf-8")


def test_values_written_by_hand_that_make_no_sense_read_as_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "edited.ini"
    path.write_text(
        "[preferences]\nversion=2\n\n[start]\nopen_last_team=perhaps\n\n"
        "[display]\ntext_size_percent=120\n",
        encoding="utf-8",
    )
    preferences = open_file(path)
    assert preferences.get(prefs.OPEN_LAST_TEAM) is True
    assert preferences.get(prefs.TEXT_SIZE) == 100


def test_options_keep_their_type_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "kept.ini"
    preferences = open_file(path)
    preferences.set(prefs.OPEN_LAST_TEAM, False)
    preferences.set(prefs.TEXT_SIZE, 130)
    address = "postgresql://caseload@records.example.gov.uk/central?sslmode=verify-full&sslrootcert=/etc/ca.pem"
    preferences.set(prefs.CENTRAL_ADDRESS, address)
    preferences.set(prefs.SYNC_INTERVAL, 15)
    preferences.sync()
    again = open_file(path)
    assert again.get(prefs.OPEN_LAST_TEAM) is False
    assert again.get(prefs.TEXT_SIZE) == 130
    assert again.get(prefs.CENTRAL_ADDRESS) == address
    assert again.get(prefs.SYNC_INTERVAL) == 15


@pytest.mark.parametrize(
    ("option", "value"),
    [(prefs.TEXT_SIZE, 120), (prefs.TEXT_SIZE, "130"), (prefs.OPEN_LAST_TEAM, 1)],
)
def test_a_value_of_the_wrong_kind_is_refused(
    preferences: Preferences, option: prefs.Option[Any], value: Any
) -> None:
    with pytest.raises(ValueError, match=option.key):
        preferences.set(option, value)
    assert preferences.get(option) == option.default
