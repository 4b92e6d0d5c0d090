"""The learned stages chosen from graph.yaml: the BEV detector in place of the classical lidar
front-end and the learned association in the tracker, in replay (`GraphConfigs.load(--config DIR)`)
and in the live graph's per-node build (fusion.ros.cores, which imports no rclpy). The models are
trained here for seconds (BEV: on the replayed drive itself; association: on one KITTI sequence), so
the checks are that the stages run on real checkpoints and their tracks sit on the road users, not
how accurate they are (that is `taishan replay --eval` and `taishan eval bev|association`)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from datasets.bags.evaluation import paired_frames
from datasets.bags.replay import ReplayResult, replay_bag
from fusion.config.loader import parse_config
from fusion.core.errors import ConfigError
from fusion.graph.build import GraphConfigs, build_node, build_nodes
from fusion.graph.config import GraphConfig
from fusion.graph.lidar import LidarNode
from fusion.graph.tracker import TrackerNode
from fusion.learned.association.cost import LearnedAssociationCost
from fusion.learned.node import BevDetectorNode

BEV_MODEL = "    model: {channels: [8, 16, 16], head_channels: 8}\n"


def params_file(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("/**:\n  ros__parameters:\n" + body)
    return path


@pytest.fixture(scope="module")
def drive(tmp_path_factory):
    """An 8 s simulated drive with lidar points: the scenario and its bag."""
    from datasets.bags.simulation import write_scenario_bag
    from datasets.simulation.config import ScenarioConfig
    from datasets.simulation.scenario import simulate_scenario

    scenario = simulate_scenario(ScenarioConfig(duration_s=8.0, lidar_points=True), GraphConfigs.load().vehicle)
    bag = tmp_path_factory.mktemp("drive") / "drive.mcap"
    write_scenario_bag(scenario, bag)
    return scenario, bag


@pytest.fixture(scope="module")
def bev_run(drive, tmp_path_factory) -> Path:
    """A tiny BEV detector trained by the training loop on the drive's sweeps (a run folder)."""
    from fusion.learned.bev.config import BevDetectorConfig
    from fusion.learned.bev.sim_data import frames_from_scenario
    from fusion.learned.bev.task import BevTask
    from fusion.learned.training import fit

    config = parse_config({"model": {"channels": [8, 16, 16], "head_channels": 8},
                           "training": {"epochs": 6, "batch_size": 4, "learning_rate": 0.005}}, BevDetectorConfig, "test")
    frames = frames_from_scenario(config, drive[0])
    torch.set_num_threads(1)
    run = tmp_path_factory.mktemp("runs") / "bev"
    fit(BevTask(config, frames, frames[::8]), config.training.hyper(), run, torch.device("cpu"), log=lambda _: None)
    return run


@pytest.fixture(scope="module")
def config_folder(bev_run, tmp_path_factory) -> Path:
    """A `--config` folder: graph.yaml choosing the learned detector, and its BEV config naming the
    checkpoint relative to itself."""
    folder = tmp_path_factory.mktemp("configs")
    params_file(folder / "graph.yaml", "    lidar_detector: learned\n    bev_config: models/bev.yaml\n")
    relative = Path("..", "..", bev_run.parent.name, bev_run.name, "model.safetensors")
    params_file(folder / "models" / "bev.yaml", BEV_MODEL + f"    checkpoint: {relative}\n")
    assert (folder / "models" / relative).resolve().is_file()
    return folder


@pytest.fixture(scope="module")
def association_config(shared_data, tmp_path_factory) -> Path:
    """A tiny learned association trained on the KITTI pairs of one sequence (cars)."""
    from datasets.kitti.config import load_kitti_config
    from datasets.kitti.layout import KittiLayout
    from datasets.kitti.sequence import load_sequence
    from fusion.config.loader import config_dir
    from fusion.learned.association.config import AssociationConfig
    from fusion.learned.association.kitti import record_pairs
    from fusion.learned.association.task import AssociationTask, PairData
    from fusion.learned.training import fit

    layout = KittiLayout(shared_data / "kitti-tracking" / "train")
    entry = layout.sequences()[0]
    features, labels = record_pairs(layout, load_sequence(layout, entry, ["Car"], False), "Car",
                                    load_kitti_config(config_dir() / "kitti.yaml"), 0.25, 1.0)
    pairs = PairData(features.astype(np.float32), labels.astype(np.float32), np.full(len(labels), entry.name, dtype=object))
    config = AssociationConfig.model_validate({"model": {"hidden": [16]}, "training": {"epochs": 3, "batch_size": 256}})
    run = tmp_path_factory.mktemp("runs") / "association"
    fit(AssociationTask(config, pairs, pairs), config.training.hyper(), run, torch.device("cpu"), log=lambda _: None)
    return params_file(tmp_path_factory.mktemp("assoc") / "association.yaml",
                       f"    model: {{hidden: [16]}}\n    checkpoint: {run / 'model.safetensors'}\n")


def on_road_users(result: ReplayResult, within_m: float = 2.0) -> tuple[int, float]:
    """Positions of the tracks the lidar stage contributed to, over the replay, and the share of them
    within `within_m` of a visible ground-truth road user (both in base_link at the list's stamp)."""
    distances = []
    for truth, objects in zip(*paired_frames(result)):
        visible = truth.centers[truth.visible.astype(bool), :2]
        if "lidar_top" not in objects.sensor_names or not len(visible):
            continue
        lidar = ((objects.sensor_mask >> objects.sensor_names.index("lidar_top")) & 1).astype(bool)
        distances.extend(np.linalg.norm(objects.position[lidar, None, :2] - visible[None], axis=2).min(axis=1))
    distances = np.asarray(distances)
    return len(distances), float(np.mean(distances < within_m)) if len(distances) else 0.0


def test_replay_with_the_learned_bev_detector_tracks_the_road_users(drive, config_folder):
    configs = GraphConfigs.load(config_folder)
    nodes = build_nodes(configs)
    assert any(isinstance(n, BevDetectorNode) for n in nodes) and not any(isinstance(n, LidarNode) for n in nodes)
    result = replay_bag(drive[1], configs, truth=True)
    assert result.diagnostics["bev_detector_lidar_top"]["level"] == "OK", result.diagnostics
    count, share = on_road_users(result)
    assert count >= 8 and share >= 0.6, (count, share)


def test_replay_with_the_learned_association_tracks_the_road_users(drive, association_config):
    base = GraphConfigs.load()
    graph = base.graph.model_copy(update={"lidar_association": "learned", "association_config": str(association_config),
                                          "lidar_input": "detections"})
    configs = dataclasses.replace(base, graph=graph)
    tracker = build_node("tracker", configs)
    assert isinstance(tracker.tracker.sensors["lidar_top"].cost, LearnedAssociationCost)
    result = replay_bag(drive[1], configs, truth=True)
    count, share = on_road_users(result)
    assert count >= 8 and share >= 0.6, (count, share)


def test_live_graph_nodes_build_the_learned_cores(config_folder, association_config):
    """What taishan_lidar_node and taishan_tracker_node host: their build() calls select_cores with
    the node's parameters (no --config folder there: paths are absolute or in the shipped configs/)."""
    from fusion.ros.cores import select_cores
    from fusion.ros.settings import NodeSettings, SensorNodeSettings
    from fusion.tracking.config import TrackerConfig
    from sensors.lidar.detector import LidarDetectorConfig

    graph = GraphConfig(lidar_detector="learned", bev_config=str(config_folder / "models" / "bev.yaml"))
    (core,) = select_cores("lidar", SensorNodeSettings(sensors=["lidar_top"]), graph, lidar_detector=LidarDetectorConfig())
    assert isinstance(core, BevDetectorNode) and core.detector.config.model.channels == [8, 16, 16]
    assert "/sensors/radar_front/scan" in core.inputs
    graph = GraphConfig(lidar_association="learned", association_config=str(association_config))
    (tracker,) = select_cores("tracker", NodeSettings(), graph, tracker=TrackerConfig())
    assert isinstance(tracker, TrackerNode) and isinstance(tracker.tracker.sensors["lidar_top"].cost, LearnedAssociationCost)
    assert tracker.tree is tracker.tracker.tree, "/tf reaches the learned tracker's transform tree"


def test_missing_or_mismatching_checkpoints_are_config_errors_naming_the_file(bev_run, tmp_path):
    base = GraphConfigs.load()

    def lidar_with(bev_yaml: str) -> None:
        graph = base.graph.model_copy(update={"lidar_detector": "learned", "bev_config": bev_yaml})
        build_node("lidar", dataclasses.replace(base, graph=graph), "lidar_top")

    missing = params_file(tmp_path / "missing.yaml", BEV_MODEL + "    checkpoint: nowhere/model.safetensors\n")
    with pytest.raises(ConfigError, match=rf"{missing}.*\n.*{tmp_path / 'nowhere' / 'model.safetensors'}: checkpoint file not found"):
        lidar_with(str(missing))
    other = params_file(tmp_path / "other.yaml", "    model: {channels: [8, 16, 32], head_channels: 8}\n"
                                                f"    checkpoint: {bev_run / 'model.safetensors'}\n")
    with pytest.raises(ConfigError, match=rf"{other}(.|\n)*trained with another model config: model.channels: "
                                          r"checkpoint has \[8, 16, 16\], config has \[8, 16, 32\]"):
        lidar_with(str(other))
    not_bev = params_file(tmp_path / "not_bev.yaml", BEV_MODEL + f"    checkpoint: {tmp_path / 'missing.yaml'}\n")
    with pytest.raises(ConfigError, match="not a safetensors checkpoint"):
        lidar_with(str(not_bev))
    with pytest.raises(ConfigError, match=r"bev_config: file 'no_such.yaml' not found \(looked in .*configs\)"):
        lidar_with("no_such.yaml")


def test_graph_config_rejects_the_learned_detector_on_upstream_detections():
    with pytest.raises(ConfigError, match="lidar_detector: 'learned' runs on point clouds"):
        parse_config({"lidar_detector": "learned", "lidar_input": "detections"}, GraphConfig, "graph.yaml")
    base = GraphConfigs.load()
    configs = dataclasses.replace(base, graph=base.graph.model_copy(update={"lidar_detector": "learned"}))
    with pytest.raises(ConfigError, match="the input has /sensors/lidar_top/detections but no /sensors/lidar_top/points"):
        build_nodes(configs, {"/sensors/lidar_top/detections"})
