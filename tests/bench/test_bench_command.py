"""The benchmark command runs end to end at a tiny size, so it cannot rot unnoticed."""

from __future__ import annotations

import io
import json
from pathlib import Path

from caseload_desktop import cli, locations


def test_bench_board_runs_at_a_tiny_size_and_writes_every_figure(tmp_path: Path) -> None:
    out = io.StringIO()
    target = tmp_path / "bench.json"
    status = cli.main(
        [
            "bench",
            "board",
            "--cases",
            "300",
            "--team-size",
            "60",
            "--repeat",
            "1",
            "--json",
            str(target),
        ],
        out=out,
    )
    assert status == 0, out.getvalue()
    report = json.loads(target.read_text(encoding="utf-8"))
    names = [figure["figure"] for figure in report["figures"]]
    assert names == ["board: largest team", "board: all teams", "board: team of 2,000 cases"]
    for figure in report["figures"]:
        assert figure["ours_median_s"] > 0 and figure["floor_median_s"] > 0
        assert figure["ratio"] == figure["ours_median_s"] / figure["floor_median_s"]
    assert report["machine"]["cpus"] >= 1
    assert "board: all teams" in out.getvalue() and "ratio" in out.getvalue()


def test_a_second_run_reuses_the_cached_demo() -> None:
    args = ["bench", "--cases", "120", "--team-size", "40", "--repeat", "1"]
    folder = locations.data_dir() / "bench"

    def cached() -> list[tuple[str, int]]:
        return sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.db"))

    assert cli.main(args, out=io.StringIO()) == 0
    first = cached()
    assert cli.main(args, out=io.StringIO()) == 0
    # The service, the one whose teams hold 2,000 cases, and the service's encrypted copy.
    assert len(first) == 3 and cached() == first


def test_bench_refuses_a_bad_size_before_generating_anything(capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["bench", "--cases", "10"], out=io.StringIO()) == 2
    assert "at least" in capsys.readouterr().err


def test_bench_summary_times_the_team_and_service_pdfs_beside_the_raw_canvas(
    tmp_path: Path,
) -> None:
    target = tmp_path / "bench.json"
    args = ["bench", "summary", "--cases", "300", "--team-size", "60", "--repeat", "1"]
    status = cli.main([*args, "--json", str(target)], out=io.StringIO())
    assert status == 0
    figures = json.loads(target.read_text(encoding="utf-8"))["figures"]
    assert [f["figure"] for f in figures] == ["summary: largest team", "summary: service"]
    for figure in figures:
        assert figure["ours_median_s"] > 0 and figure["floor_median_s"] > 0
        assert "pages" in figure["detail"]
    assert figures[0]["target_seconds"] == 1.0 and figures[1]["target_seconds"] == 10.0


def test_bench_supervision_times_a_40_and_a_120_case_record(tmp_path: Path) -> None:
    target = tmp_path / "bench.json"
    args = ["bench", "supervision", "--cases", "120", "--team-size", "40", "--repeat", "1"]
    status = cli.main([*args, "--json", str(target)], out=io.StringIO())
    assert status == 0
    figures = json.loads(target.read_text(encoding="utf-8"))["figures"]
    assert [f["figure"] for f in figures] == [
        "supervision record: 40 cases",
        "supervision record: 120 cases",
    ]
    assert [f["target_seconds"] for f in figures] == [0.5, 1.5]
    assert all(f["ours_median_s"] > 0 and f["floor_median_s"] > 0 for f in figures)


def test_bench_sync_pushes_to_a_real_postgresql_beside_the_copy_floor(tmp_path: Path) -> None:
    out = io.StringIO()
    target = tmp_path / "bench.json"
    argv = ["bench", "sync", "--cases", "200", "--team-size", "60", "--repeat", "1"]
    status = cli.main([*argv, "--json", str(target)], out=out)
    assert status == 0, out.getvalue()
    figure, plain = json.loads(target.read_text(encoding="utf-8"))["figures"]
    assert figure["figure"].startswith("push ") and figure["figure"].endswith(" events")
    assert int(figure["figure"].split()[1].replace(",", "")) > 0
    assert figure["ours_median_s"] > 0 and figure["floor_median_s"] > 0
    assert figure["target_ratio"] == 3.0
    # Beside it, the same push against central's writes alone (no target: a reference).
    assert plain["figure"] == "push: central's writes alone"
    assert plain["ours_median_s"] == figure["ours_median_s"] and plain["floor_median_s"] > 0
    assert plain["target_ratio"] is None


def test_bench_open_and_queues_run_beside_their_raw_floors(tmp_path: Path) -> None:
    for which, name in (
        ("open", "open database"),
        ("queues", "queues: service"),
        ("import", "import 200 case rows"),
        ("encryption", "encrypted: open + board"),
    ):
        target = tmp_path / f"{which}.json"
        argv = ["bench", which, "--cases", "200", "--team-size", "60", "--repeat", "1"]
        assert cli.main([*argv, "--json", str(target)], out=io.StringIO()) == 0
        figure, *others = json.loads(target.read_text(encoding="utf-8"))["figures"]
        assert figure["figure"] == name
        assert figure["ours_median_s"] > 0 and figure["floor_median_s"] > 0
        if which == "encryption":  # the check after the board, encrypted beside plain
            [check] = others
            assert check["figure"] == "encrypted: quick check" and check["floor_median_s"] > 0
        else:
            assert not others


def test_bench_app_starts_the_desktop_app_to_its_first_board(tmp_path: Path) -> None:
    target = tmp_path / "app.json"
    argv = ["bench", "app", "--cases", "200", "--team-size", "60", "--repeat", "1"]
    assert cli.main([*argv, "--json", str(target)], out=io.StringIO()) == 0
    start, memory = json.loads(target.read_text(encoding="utf-8"))["figures"]
    assert start["figure"] == "cold start to first board" and start["ours_median_s"] > 0
    assert memory["unit"] == "MiB" and 50 < memory["ours_median_s"] < 2000


def test_bench_workers_shapes_the_generated_service(tmp_path: Path) -> None:
    target = tmp_path / "open.json"
    argv = ["bench", "open", "--cases", "200", "--team-size", "60", "--workers", "80"]
    assert cli.main([*argv, "--repeat", "1", "--json", str(target)], out=io.StringIO()) == 0
    report = json.loads(target.read_text(encoding="utf-8"))
    assert report["parameters"]["workers"] == 80
    assert list((locations.data_dir() / "bench").glob("demo-200-team60-workers80-*.db"))
