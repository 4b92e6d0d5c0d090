"""The learned models in the graph: the BEV detector node (checkpoint from the config's path) and a
tracker with the learned association; `taishan export onnx` on a checkpoint."""
from __future__ import annotations

import numpy as np
import pytest

from fusion.cli import main
from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.classes import ObjectClass
from fusion.core.measurements import Boxes3D, LidarPointCloud, RadarDetections
from fusion.ego.state import Odometry
from fusion.graph.topics import EGO_ODOMETRY, frontend_topic, sensor_topic
from fusion.learned.association.config import KIND as ASSOCIATION, AssociationConfig
from fusion.learned.association.cost import LearnedAssociationCost, learned_tracker
from fusion.learned.association.model import build_association_model
from fusion.learned.bev.config import KIND as BEV, BevDetectorConfig
from fusion.learned.bev.model import build_bev_model
from fusion.learned.checkpoint import save_checkpoint
from fusion.learned.node import BevDetectorNode
from fusion.tracking.config import TrackerConfig


@pytest.fixture(scope="module")
def vehicle() -> VehicleConfig:
    return load_config(config_dir() / "vehicle.yaml", VehicleConfig)


def test_bev_node_turns_sweeps_into_lidar_boxes(tmp_path, vehicle):
    config = BevDetectorConfig.model_validate({"model": {"channels": [4, 8, 8], "head_channels": 4},
                                               "decode": {"score_threshold": 0.0, "max_detections": 5},
                                               "checkpoint": str(tmp_path / "bev.safetensors")})
    save_checkpoint(config.checkpoint, build_bev_model(config), BEV, config)
    lidar_id, lidar = next(iter(vehicle.sensors_of_kind("lidar").items()))
    radar_id, radar = next(iter(vehicle.sensors_of_kind("radar").items()))
    node = BevDetectorNode(lidar_id, vehicle, config)
    rng = np.random.default_rng(0)
    node.process(sensor_topic(radar_id, "scan"), RadarDetections(1_030_000_000, radar.frame_id, radar_id, range=[20.0, 30.0],
                 azimuth=[0.1, -0.2], range_rate=[-3.0, 1.0], rcs=[10.0, 5.0]), 1_040_000_000)
    cloud = LidarPointCloud(1_000_000_000, lidar.frame_id, lidar_id, points=rng.uniform(-20, 20, (500, 3)),
                            fields={"intensity": rng.uniform(0, 255, 500)})
    (out,) = node.process(sensor_topic(lidar_id, "points"), cloud, 1_100_000_000)
    assert out.topic == frontend_topic(lidar_id)
    assert isinstance(out.data, Boxes3D) and out.data.frame_id == lidar.frame_id and len(out.data) == 5
    assert out.data.velocities is None, "without odometry the sensor-relative velocity is unknown"
    node.process(EGO_ODOMETRY, Odometry(1_000_000_000, "map", "base_link", np.zeros(3), np.array([0, 0, 0, 1.0]), np.eye(6),
                                        np.array([10.0, 0, 0]), np.zeros(3), np.eye(6)), 1_100_000_000)
    (out,) = node.process(sensor_topic(lidar_id, "points"), cloud, 1_100_000_000)
    assert out.data.velocities is not None and np.all(np.isfinite(out.data.velocities))
    wrong = LidarPointCloud(1_200_000_000, "elsewhere", lidar_id, points=cloud.points)
    assert node.process(sensor_topic(lidar_id, "points"), wrong, 1_300_000_000) == []
    assert node.status(1_300_000_000).values, "the rejection is in the diagnostics"


def test_tracker_with_learned_association(tmp_path, vehicle):
    config = AssociationConfig.model_validate({"model": {"hidden": [8]}, "checkpoint": str(tmp_path / "a.safetensors")})
    save_checkpoint(config.checkpoint, build_association_model(config), ASSOCIATION, config)
    tracker = learned_tracker(TrackerConfig(frame_id=vehicle.vehicle.base_frame), vehicle, vehicle.transform_tree(), config)
    lidar_id, lidar = next(iter(vehicle.sensors_of_kind("lidar").items()))
    assert isinstance(tracker.sensors[lidar_id].cost, LearnedAssociationCost)
    for k in range(3):
        tracker.step(Boxes3D(1_000_000_000 + k * 100_000_000, lidar.frame_id, lidar_id, centers=[[10.0 + k, 0.0, -1.0]],
                             sizes=[[4.0, 1.8, 1.5]], yaws=[0.0], classes=[int(ObjectClass.CAR)]))
    assert len(tracker.tracks) == 1


def test_export_onnx_command(tmp_path, capsys):
    config = AssociationConfig.model_validate({"model": {"hidden": [8]}})
    path = save_checkpoint(tmp_path / "a.safetensors", build_association_model(config), ASSOCIATION, config)
    assert main(["export", "onnx", "--checkpoint", str(path), "--out", str(tmp_path / "a.onnx")]) == 0
    assert "max |difference|" in capsys.readouterr().out and (tmp_path / "a.onnx").is_file()
    assert main(["export", "onnx", "--checkpoint", str(tmp_path / "none.safetensors"), "--out", str(tmp_path / "b.onnx")]) == 2
    assert "checkpoint file not found" in capsys.readouterr().err
