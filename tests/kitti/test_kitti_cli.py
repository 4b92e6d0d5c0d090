"""`taishan eval kitti` end to end on a small copy of real KITTI data (two sequences, 40 frames)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from datasets.kitti.objects import read_tracking_file
from fusion.cli import main


def test_eval_kitti_writes_results_scores_and_plots(small_kitti: Path, tmp_path: Path, capsys):
    out, summary = tmp_path / "out", tmp_path / "kitti.json"
    code = main(["eval", "kitti", "--data", str(small_kitti), "--out", str(out), "--classes", "Car,Pedestrian,Cyclist",
                 "--sensors", "lidar+camera", "--json", str(summary), "--plot-seq", "0011"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Car" in printed and "HOTA" in printed
    figures = json.loads(summary.read_text())
    assert set(figures) == {"Car", "Pedestrian", "Cyclist"}
    for cls, fig in figures.items():
        for name in ("HOTA", "DetA", "AssA", "MOTA", "IDSW", "fps", "MOTA_3d"):
            assert name in fig, (cls, name)
        assert 0.0 <= fig["HOTA"] <= 100.0 and fig["fps"] > 0
    # real detections through the tracker on the first 40 frames: cars are found and followed
    assert figures["Car"]["HOTA"] > 50.0 and figures["Car"]["MOTA"] > 50.0
    for seq in ("0000", "0011"):
        rows = read_tracking_file(out / "data" / f"{seq}.txt", n_frames=40)
        assert set(rows.types) <= {"Car", "Pedestrian", "Cyclist"} and (rows.track_ids >= 0).all()
        # one tracker per class, but a track id names one object of one class in the file
        assert all(len(set(rows.types[rows.track_ids == i])) == 1 for i in set(rows.track_ids.tolist()))
    assert (out / "plots" / "hota_alpha.png").stat().st_size > 0
    assert (out / "plots" / "bev_0011.png").stat().st_size > 0
    assert json.loads((out / "summary.json").read_text())["sequences"] == ["0000", "0011"]


@pytest.fixture()
def kitti_copy(small_kitti: Path, tmp_path: Path) -> Path:
    root = tmp_path / "kitti"
    shutil.copytree(small_kitti, root)
    return root


def test_sequence_without_detections_gives_an_empty_result_file(kitti_copy: Path, tmp_path: Path):
    for path in kitti_copy.glob("det_*/*/0000.txt"):
        path.write_text("")
    out = tmp_path / "out"
    assert main(["eval", "kitti", "--data", str(kitti_copy), "--out", str(out), "--classes", "Car", "--sensors", "lidar",
                 "--no-3d"]) == 0
    assert (out / "data" / "0000.txt").read_text() == ""
    assert len(read_tracking_file(out / "data" / "0011.txt")) > 0


@pytest.mark.parametrize("damage, message", [
    (lambda root: (root / "det_pointrcnn" / "Car" / "0011.txt").write_text("0,2,1,2,3\n"), "det_pointrcnn/Car/0011.txt:1: expected 15"),
    (lambda root: (root / "calib" / "0011.txt").unlink(), "calib/0011.txt: calibration file not found"),
    (lambda root: (root / "det_rrc2d" / "Car" / "0000.txt").unlink(), "det_rrc2d/Car/0000.txt: file not found"),
    (lambda root: (root / "det_pointrcnn" / "Car" / "0000.txt").write_text("55,2" + ",1" * 13 + "\n"), "0000.txt:1: frame 55 out of range"),
])
def test_bad_input_is_reported_by_file_and_line(kitti_copy: Path, tmp_path: Path, capsys, damage, message):
    damage(kitti_copy)
    code = main(["eval", "kitti", "--data", str(kitti_copy), "--out", str(tmp_path / "out"), "--classes", "Car"])
    assert code == 2
    assert message in capsys.readouterr().err


def test_unknown_class_is_rejected(small_kitti: Path, tmp_path: Path, capsys):
    with pytest.raises(SystemExit):
        main(["eval", "kitti", "--data", str(small_kitti), "--out", str(tmp_path), "--classes", "Car,Tram"])
    assert "unknown class" in capsys.readouterr().err
