"""The commands: `taishan replay` with --eval and --json, and `taishan convert kitti|vod` on the real data."""
from __future__ import annotations

import dataclasses
import json

import pytest

from datasets.bags.evaluation import evaluate_replays
from datasets.bags.reader import BagReader
from datasets.bags.replay import replay_bag
from fusion.cli import main
from fusion.config.loader import config_dir
from fusion.graph import topics


def test_replay_command_writes_bag_summary_and_evaluation(sim_bag, tmp_path, capsys):
    out, report, plots = tmp_path / "out.mcap", tmp_path / "replay.json", tmp_path / "plots"
    configs = tmp_path / "configs"      # only graph.yaml differs from the shipped configs
    configs.mkdir()
    (configs / "graph.yaml").write_text("/**:\n  ros__parameters:\n    lidar_input: detections\n")
    code = main(["replay", str(sim_bag), "--config", str(configs), "--out", str(out), "--eval", "--plots", str(plots),
                 "--json", str(report)])
    assert code == 0
    summary = json.loads(report.read_text())
    (bag,) = summary["bags"]
    assert bag["object_lists"] > 0 and bag["output"] == str(out) and out.exists()
    overall = summary["evaluation"]["overall"]
    assert {"HOTA", "MOTA", "IDSW", "position_rmse_m"} <= set(overall) and 0.0 <= overall["HOTA"] <= 1.0
    assert (plots / "drive_eval.png").exists()


def test_evaluation_compares_in_base_link_when_the_map_anchors_differ(sim_bag, graph_configs):
    object_level = dataclasses.replace(graph_configs, graph=graph_configs.graph.model_copy(update={"lidar_input": "detections"}))
    result = replay_bag(sim_bag, object_level, truth=True)
    assert result.truth and result.ego_truth and result.ego_estimate
    metrics = evaluate_replays([result], None)
    assert metrics["per_bag"]["drive"]["matched"] > 0
    assert metrics["per_bag"]["drive"]["position_rmse_m"] < 2.0   # matched within 2 m, so well below


def test_convert_vod_frames(shared_data, tmp_path, capsys):
    out = tmp_path / "vod.mcap"
    assert main(["convert", "vod", "--root", str(shared_data / "vod-example"), "--out", str(out)]) == 0
    with BagReader(out) as bag:
        assert {topics.sensor_topic("lidar", "points"), topics.sensor_topic("radar", "points"), topics.TF_STATIC,
                topics.sensor_topic("camera", "camera_info"), topics.GROUND_TRUTH_OBJECTS} <= set(bag.topics)
        counts = {}
        for raw in bag.messages():
            counts[raw.topic] = counts.get(raw.topic, 0) + 1
            bag.decode(raw)
    assert counts[topics.sensor_topic("lidar", "points")] == 3


def test_convert_kitti_sequence(shared_data, tmp_path, capsys):
    root = shared_data / "kitti-tracking" / "train"
    sequence = (root / "seqmap.txt").read_text().split()[0]
    out = tmp_path / "kitti.db3"
    assert main(["convert", "kitti", "--root", str(root), "--sequence", sequence, "--out", str(out)]) == 0
    with BagReader(out) as bag:
        frames = [raw for raw in bag.messages([topics.GROUND_TRUTH_OBJECTS])]
        assert len(frames) > 10 and not bag.problems
        assert any(len(bag.decode(raw).objects) for raw in frames)


def test_kitti_bag_replays_with_the_kitti_configs(shared_data, tmp_path, capsys):
    """`taishan convert kitti` then `taishan replay --config configs/kitti_replay --eval` on the
    shortest train sequence: every input is read, and the tracks match the labels."""
    root = shared_data / "kitti-tracking" / "train"
    bag, report = tmp_path / "0017.mcap", tmp_path / "replay.json"
    assert main(["convert", "kitti", "--root", str(root), "--sequence", "0017", "--out", str(bag)]) == 0
    configs = config_dir() / "kitti_replay"
    assert main(["replay", str(bag), "--config", str(configs), "--eval", "--plots", str(tmp_path), "--json", str(report)]) == 0
    summary = json.loads(report.read_text())
    (result,) = summary["bags"]
    assert result["object_lists"] == result["truth_frames"] == 145 and not result["problems"]
    assert all(status["level"] == "OK" for status in result["diagnostics"].values()), result["diagnostics"]
    metrics = summary["evaluation"]["per_bag"]["0017"]
    assert metrics["HOTA"] > 0.6 and metrics["MOTA"] > 0.5 and metrics["position_rmse_m"] < 0.5


def test_missing_bag_is_a_clean_error(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "nowhere.mcap")]) == 2
    assert "does not exist" in capsys.readouterr().err
