"""``caseload-desktop --self-test`` (``caseload_desktop.selftest``), in this process and as the
program is started.

The bundle runs the same self-test (``make bundle``, ``installer/smoke.sh``); these tests keep
it passing from a checkout, check that a failure stops it with the check's name and exit
status 1, and that it leaves the environment as it found it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from PySide6 import QtWidgets

from caseload_desktop import app, locations, selftest


def run() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = selftest.run(out, err)
    return status, out.getvalue(), err.getvalue()


def test_the_self_test_passes_printing_each_check_and_restores_the_environment(
    qapp: QtWidgets.QApplication,
) -> None:
    before = {k: os.environ.get(k) for k in (locations.DATA_DIR_VARIABLE, "CASELOAD_DB")}

    status, out, err = run()

    assert status == 0, err
    assert err == ""
    names = [check.name for check in selftest.SelfTest(Path("."), qapp).checks()]
    passed = [line for line in out.splitlines() if line.startswith("  ok  ")]
    assert [line.split(":", 1)[0].removeprefix("  ok  ") for line in passed] == names
    assert f"Self-test passed: {len(names)} checks in" in out.splitlines()[-1]
    assert "Python environment" in out.splitlines()[0]
    for expected in ("unallocated", "SUP-000001", "as stored", "SQLCipher", "psycopg"):
        assert expected in out
    assert {k: os.environ.get(k) for k in before} == before


def test_a_failing_check_stops_the_run_naming_it_with_status_1(
    qapp: QtWidgets.QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: selftest.SelfTest) -> str:
        raise selftest.SelfTestFailed("the board did not fill within 15 s.")

    monkeypatch.setattr(selftest.SelfTest, "check_board", broken)

    status, out, err = run()

    assert status == 1
    assert "  FAILED  main window and board: the board did not fill within 15 s." in err
    assert "Self-test FAILED at 'main window and board' (3 checks passed before it)." in err
    assert "Traceback" not in err  # an expected failure is one clear line
    assert "  ok  demo database" in out
    assert "reassignment" not in out  # nothing runs after the failure


def test_an_unexpected_error_is_named_with_its_traceback(
    qapp: QtWidgets.QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: selftest.SelfTest) -> str:
        raise KeyError("fonts")

    monkeypatch.setattr(selftest.SelfTest, "check_files", broken)

    status, _out, err = run()

    assert status == 1
    assert "  FAILED  app files: unexpected KeyError: 'fonts'" in err
    assert "Traceback" in err


def test_an_unknown_version_fails_the_self_test(
    qapp: QtWidgets.QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build without the package's metadata would not know its version (0+unknown)."""
    monkeypatch.setattr(selftest, "__version__", "0+unknown")

    status, _out, err = run()

    assert status == 1
    assert "FAILED  version: the app does not know its version ('0+unknown')" in err


def test_the_flag_runs_the_self_test_and_returns_its_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[bool] = []
    monkeypatch.setattr(app, "_enable_faulthandler", lambda: None)
    monkeypatch.setattr(selftest, "run", lambda *streams: ran.append(True) or 1)

    assert app.main(["--self-test"]) == 1
    assert ran == [True]


def test_without_a_console_the_report_goes_to_the_data_folders_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A windowed Windows program has no standard output."""

    def report(out: io.TextIOBase, err: io.TextIOBase) -> int:
        out.write("  ok  version\n")
        return 0

    monkeypatch.setattr(selftest, "run", report)
    monkeypatch.setattr(sys, "stdout", None)

    assert app.run_self_test() == 0
    log = locations.data_dir() / "logs" / "self-test.log"
    assert log.read_text(encoding="utf-8") == "  ok  version\n"


def test_the_self_test_is_a_choice_of_its_own_on_the_command_line() -> None:
    with pytest.raises(SystemExit):
        app.build_parser().parse_args(["--self-test", "--demo"])


@pytest.mark.slow
def test_the_program_passes_its_self_test_choosing_offscreen_itself(tmp_path: Path) -> None:
    """As ``make bundle`` runs it: a new process, no display and no platform named."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env["HOME"] = str(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from caseload_desktop.app import main; sys.exit(main(['--self-test']))",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "(offscreen display)" in done.stdout
    assert "Self-test passed" in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written outside its temporary folder
