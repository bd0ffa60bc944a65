"""Help > About (``ui/dialogs/about_dialog.py``): version, schema revision and data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from PySide6 import QtGui, QtWidgets

from caseload_desktop import __version__, locations
from caseload_desktop.context import AppContext, open_context
from caseload_desktop.store.engine import head_revision
from caseload_desktop.ui.dialogs.about_dialog import AboutDialog, AboutFacts
from caseload_desktop.ui.interaction import Interaction


@pytest.fixture
def context(demo_db_path: Path) -> Iterator[AppContext]:
    ctx = open_context(demo_db_path)
    yield ctx
    ctx.close()


def test_about_shows_version_database_schema_revision_and_data_folder(
    qtbot,
    context: AppContext,  # type: ignore[no-untyped-def]
) -> None:
    dialog = AboutDialog(AboutFacts.gather(context))
    qtbot.addWidget(dialog)
    shown = {label: widget.text() for label, widget in dialog.values.items()}

    assert shown["Version"] == __version__
    assert shown["Database"] == str(context.db.path)
    assert shown["Schema revision"] == context.db.revision == head_revision()
    assert shown["Data folder"] == str(locations.data_dir())
    assert "Python environment" in shown["Installed as"]
    assert "Qt 6." in shown["Running on"]
    assert __version__ in dialog.findChildren(QtWidgets.QLabel)[1].text()


def test_with_no_database_open_about_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = AboutDialog(AboutFacts.gather(None))
    qtbot.addWidget(dialog)

    assert dialog.values["Database"].text() == "none open"
    assert dialog.values["Schema revision"].text() == "—"


def test_an_older_database_shows_the_revision_this_version_migrates_to() -> None:
    facts = AboutFacts.gather(None)
    older = AboutFacts(**{**facts.__dict__, "database": Path("team.db"), "revision": "0001"})

    assert older.schema == f"0001 (this version's is {head_revision()})"


def test_copy_details_puts_every_row_on_the_clipboard_as_text(
    qtbot,
    context: AppContext,  # type: ignore[no-untyped-def]
) -> None:
    dialog = AboutDialog(AboutFacts.gather(context))
    qtbot.addWidget(dialog)

    dialog.copy_button.click()

    text = QtGui.QGuiApplication.clipboard().text()
    assert text.splitlines()[0] == "Caseload Desktop"
    assert f"Version: {__version__}" in text
    assert f"Schema revision: {context.db.revision}" in text
    assert f"Data folder: {locations.data_dir()}" in text


def test_open_data_folder_opens_it(
    qtbot,
    context: AppContext,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    locations.data_dir().mkdir(parents=True, exist_ok=True)
    opened: list[Path] = []
    monkeypatch.setattr(
        Interaction, "open_file", classmethod(lambda cls, path: opened.append(path) or True)
    )
    dialog = AboutDialog(AboutFacts.gather(context))
    qtbot.addWidget(dialog)

    assert dialog.open_folder_button.isEnabled()
    dialog.open_folder_button.click()

    assert opened == [locations.data_dir()]


def test_ask_shows_the_dialog_until_it_is_closed(
    qtbot,
    context: AppContext,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    seen: list[AboutDialog] = []

    def close_at_once(self: AboutDialog) -> int:
        seen.append(self)
        return 0

    monkeypatch.setattr(AboutDialog, "exec", close_at_once)
    AboutDialog.ask(None, context)

    assert seen and seen[0].facts.revision == context.db.revision
