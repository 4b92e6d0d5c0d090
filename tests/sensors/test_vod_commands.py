"""`taishan show vod` and `taishan eval vod` end to end on the real frames (the command modules on
a parser of their own, so other commands' state does not matter here)."""
from __future__ import annotations

import argparse
import json

import pytest

from fusion.cli import CommandGroups
from fusion.commands import eval_vod, show_vod
from fusion.core.errors import InputError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="taishan")
    groups = CommandGroups(parser.add_subparsers(dest="command", required=True))
    show_vod.register(groups)
    eval_vod.register(groups)
    args = parser.parse_args(argv)
    return args.func(args)


def test_show_vod_writes_a_picture(vod_root, tmp_path, capsys):
    out = tmp_path / "frame.png"
    assert _run(["show", "vod", "1201", "--out", str(out), "--data", str(vod_root)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 100_000
    assert "radar_returns 242" in capsys.readouterr().out


def test_show_vod_unknown_frame_is_a_clean_error(vod_root, tmp_path):
    with pytest.raises(InputError, match="no frame '00123'"):
        _run(["show", "vod", "123", "--out", str(tmp_path / "x.png"), "--data", str(vod_root)])


def test_eval_vod_writes_the_figures(vod_root, tmp_path):
    out = tmp_path / "eval.json"
    assert _run(["eval", "vod", "--json", str(out), "--data", str(vod_root)]) == 0
    figures = json.loads(out.read_text())
    assert figures["frames"] == ["00549", "01047", "01201"]
    for key in ("lidar_recall", "lidar_precision", "lidar_recall_any_class", "radar_moving_object_within_tolerance",
                "frustum_ranged_fraction"):
        assert 0.0 <= figures[key] <= 1.0, key
    assert figures["lidar_per_class"]["Car"]["labels"] == 1
    assert set(figures["radar_per_frame"]["00549"]) >= {"sensor_velocity_mps", "vod_implied_velocity_mps"}
