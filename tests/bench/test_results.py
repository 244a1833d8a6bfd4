"""bench.results: where a run's JSON goes and the change against the previous run of the
same machine (fast, no suite)."""

from __future__ import annotations

import json

from bench.results import diff_lines, machine_name, previous_report, report_path


def write(directory, name, **report):
    (directory / name).write_text(json.dumps(report))


def test_the_previous_run_is_the_newest_of_the_same_machine_and_kind(tmp_path):
    write(tmp_path, "box-20260101T000000Z.json", kind="bench", started_at="2026-01-01",
          headline={"burst clients/s": 10.0})  # fmt: skip
    write(tmp_path, "box-20260102T000000Z.json", kind="bench", started_at="2026-01-02",
          headline={"burst clients/s": 12.0})  # fmt: skip
    write(tmp_path, "box-scale-20260103T000000Z.json", kind="bench-scale",
          started_at="2026-01-03", headline={"board first page p95 ms": 9.0})  # fmt: skip
    write(tmp_path, "other-20260104T000000Z.json", kind="bench", started_at="2026-01-04",
          headline={"burst clients/s": 99.0})  # fmt: skip
    (tmp_path / "box-broken.json").write_text("{not json")
    write(tmp_path, "box-20260104T120000Z.json", kind="bench", started_at="2026-01-04",
          error="RuntimeError: the suite did not start", headline={})  # fmt: skip
    current = report_path(tmp_path, "box", "20260105T000000Z")
    write(tmp_path, current.name, kind="bench", started_at="2026-01-05", headline={})

    previous = previous_report(tmp_path, "box", "bench", before=current)
    assert previous["headline"] == {"burst clients/s": 12.0}
    scale = previous_report(tmp_path, "box", "bench-scale")
    assert scale["headline"] == {"board first page p95 ms": 9.0}
    assert previous_report(tmp_path, "nobody", "bench") is None
    assert previous_report(tmp_path, "box", "bench-scale", same={"clients": 5}) is None
    assert report_path(tmp_path, "box", "T", "bench-scale").name == "box-scale-T.json"


def test_the_change_is_printed_per_figure_with_its_percentage():
    before = {"started_at": "2026-01-02", "machine": {"git_commit": "abcdef1234567"},
              "headline": {"burst clients/s": 10.0, "paced 20/s p99 ms": 400.0,
                           "gone": 1.0}}  # fmt: skip
    now = {"headline": {"burst clients/s": 12.5, "paced 20/s p99 ms": 300.0, "new": 5.0,
                        "missing": None}}  # fmt: skip
    lines = diff_lines(before, now)
    assert "2026-01-02" in lines[0] and "abcdef1234" in lines[0]
    by_name = {line.split("  ")[1].strip(): line for line in lines[2:]}
    assert by_name["burst clients/s"].split()[-2:] == ["+2.5", "+25.0%"]
    assert by_name["paced 20/s p99 ms"].split()[-2:] == ["-100.0", "-25.0%"]
    assert by_name["new"].split()[-2:] == ["5.0", "n/a"]
    assert by_name["gone"].split()[-2:] == ["n/a", "1.0"]
    assert "missing" not in by_name
    assert "no earlier run" in diff_lines(None, now)[0]


def test_the_machine_name_is_safe_for_a_file_name(monkeypatch):
    monkeypatch.setenv("BENCH_MACHINE", "lab box/2 cores")
    assert machine_name() == "lab_box_2_cores"
