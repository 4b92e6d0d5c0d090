"""Smoke runs of `taishan bench tracker`, `taishan run` and `taishan eval sim` (short and small)."""
from __future__ import annotations

import json

from fusion.cli import main


def test_bench_tracker_quick(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "tracker", "--quick", "--sizes", "10,30", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert set(figures) == {"10", "30"}
    for row in figures.values():
        assert row["batched_ms"] > 0 and row["filterpy_ms"] > 0 and row["speedup"] > 0 and row["wall_speedup"] > 0
        assert row["batched_tracks"] == row["filterpy_tracks"]


def test_run_writes_object_lists_and_summary(tmp_path, capsys):
    assert main(["run", "--duration", "2", "--out", str(tmp_path)]) == 0
    lines = (tmp_path / "objects.jsonl").read_text().splitlines()
    assert len(lines) == 21
    frame = json.loads(lines[-1])
    assert frame["frame_id"] == "map" and isinstance(frame["objects"], list)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {"HOTA", "MOTA", "IDSW", "position_rmse_m"} <= set(summary["metrics"])
    printed = capsys.readouterr().out
    assert "HOTA" in printed and str(tmp_path / "summary.json") in printed


def test_eval_sim(tmp_path, capsys):
    out = tmp_path / "sim.json"
    assert main(["eval", "sim", "--seeds", "3", "--duration", "2", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert {"kalman", "kalman_lidar_only", "no_motion_baseline"} <= set(figures)
    assert all(0.0 <= figures[k]["HOTA"] <= 1.0 for k in ("kalman", "no_motion_baseline"))
    assert main(["eval", "sim", "--seeds", "x"]) == 2
