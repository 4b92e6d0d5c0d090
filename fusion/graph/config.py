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
    diagnostics_period_s: Annotated[float, Field(gt=0.0, le=60.0)] = 1.0
    # lidar: 'points' runs the lidar detector on PointCloud2; 'detections' takes an upstream
    # detector's Detection3DArray (object-level input); 'auto' takes points when a bag has them.
    lidar_input: Literal["auto", "points", "detections"] = "auto"
    # radar: 'scan' reads radar_msgs/RadarScan, 'points' a radar PointCloud2; 'auto' prefers scan.
    radar_input: Literal["auto", "scan", "points"] = "auto"
    # radar: also cluster each scan's moving returns into objects (radar front-end) and publish
    # them on /taishan/<radar>/objects for visualisation; the tracker reads the scan itself.
    radar_objects: bool = False


def default_graph_path() -> Path:
    return config_dir() / "graph.yaml"


def load_graph_config(path: str | Path | None = None) -> GraphConfig:
    return load_config(path or default_graph_path(), GraphConfig)
