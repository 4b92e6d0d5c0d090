"""`taishan show vod` and `taishan eval vod` end to end on the real frames."""
from __future__ import annotations

import json

from fusion.cli import main


def test_show_vod_writes_a_picture(vod_root, tmp_path, capsys):
    out = tmp_path / "frame.png"
    assert main(["show", "vod", "1201", "--out", str(out), "--data", str(vod_root)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 100_000
    assert "radar_returns 242" in capsys.readouterr().out


def test_show_vod_unknown_frame_is_a_clean_error(vod_root, tmp_path, capsys):
    assert main(["show", "vod", "123", "--out", str(tmp_path / "x.png"), "--data", str(vod_root)]) == 2
    assert "no frame '00123'" in capsys.readouterr().err


def test_eval_vod_writes_the_figures(vod_root, tmp_path):
    out = tmp_path / "eval.json"
    assert main(["eval", "vod", "--json", str(out), "--data", str(vod_root)]) == 0
    figures = json.loads(out.read_text())
    assert figures["frames"] == ["00549", "01047", "01201"]
    for key in ("lidar_recall", "lidar_precision", "lidar_recall_any_class", "radar_moving_object_within_tolerance",
                "frustum_ranged_fraction"):
        assert 0.0 <= figures[key] <= 1.0, key
    assert figures["lidar_per_class"]["Car"]["labels"] == 1
    assert set(figures["radar_per_frame"]["00549"]) >= {"sensor_velocity_mps", "vod_implied_velocity_mps"}
