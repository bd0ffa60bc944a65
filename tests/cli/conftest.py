"""The command line run in-process, as every CLI test drives it."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from caseload_desktop import cli


@dataclasses.dataclass(frozen=True)
class Run:
    """One run of ``caseload``: its exit status, standard output and standard error."""

    status: int
    out: str
    err: str


@pytest.fixture
def caseload(capsys: pytest.CaptureFixture[str], demo_db_path: Path) -> Callable[..., Run]:
    """Run ``caseload ARGS... --db PATH`` in-process (PATH: the demo copy unless ``db=``)."""

    def run(*argv: object, db: Path = demo_db_path) -> Run:
        capsys.readouterr()
        out = io.StringIO()
        status = cli.main([*(str(a) for a in argv), "--db", str(db)], out=out)
        return Run(status, out.getvalue(), capsys.readouterr().err)

    return run
