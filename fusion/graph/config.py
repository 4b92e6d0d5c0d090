"""The graph config (configs/graph.yaml): which form of each sensor's data the front-ends read and
how often the object list and diagnostics are published. Sensor, tracker and ego settings have
their own files."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from fusion.config.loader import StrictModel, config_dir, load_config


class GraphConfig(StrictModel):
    objects_rate_hz: Annotated[float, Field(gt=0.0, le=1000.0)] = 10.0     # tracker output rate (timer)
    # when the tracker publishes the object list: 'timer' at objects_rate_hz (replay: ticks of log time,
    # which evaluation lines up with ground truth), 'input' right after each measurement it processes, at
    # that measurement's stamp (least latency; the launch files' default for the live graph)
    objects_trigger: Literal["input", "timer"] = "timer"
    diagnostics_period_s: Annotated[float, Field(gt=0.0, le=60.0)] = 1.0
    ego_rate_hz: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.0     # ego odometry + tf at most this often (0: every IMU sample)
    # lidar: 'points' runs the lidar detector on PointCloud2; 'detections' takes an upstream
    # detector's Detection3DArray (object-level input); 'auto' takes points when a bag has them.
    lidar_input: Literal["auto", "points", "detections"] = "auto"
    # radar: 'scan' reads radar_msgs/RadarScan, 'points' a radar PointCloud2; 'auto' prefers scan.
    radar_input: Literal["auto", "scan", "points"] = "auto"
    # radar: also cluster each scan's moving returns into objects (radar front-end) and publish
    # them on /taishan/<radar>/objects for visualisation; the tracker reads the scan itself.
    radar_objects: bool = False
    # lidar: the detector run on point clouds: 'classical' (sensors/lidar, configs/lidar.yaml) or
    # 'learned' (the lidar + radar BEV detector configured by `bev_config`, which names its checkpoint).
    lidar_detector: Literal["classical", "learned"] = "classical"
    bev_config: str = "bev_detector.yaml"
    # tracker: lidar boxes associated by the 'kalman' cost (configs/tracker.yaml) or the 'learned' cost
    # configured by `association_config`, which names its checkpoint.
    lidar_association: Literal["kalman", "learned"] = "kalman"
    association_config: str = "learned_association.yaml"
    # bev_config, association_config: absolute, or looked up like the other config files (in the
    # `taishan replay --config` folder, then in the shipped configs/).

    def semantic_problems(self) -> list[tuple[str, str]]:
        if self.lidar_detector == "learned" and self.lidar_input == "detections":
            return [("lidar_detector", "'learned' runs on point clouds; it needs lidar_input 'points' or 'auto'")]
        return []


def default_graph_path() -> Path:
    return config_dir() / "graph.yaml"


def load_graph_config(path: str | Path | None = None) -> GraphConfig:
    return load_config(path or default_graph_path(), GraphConfig)
