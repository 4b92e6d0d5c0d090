"""Build the graph of node cores from the configs: one front-end node per enabled camera, radar
and lidar, the ego node (when the vehicle has the IMU and GNSS the ego config names) and the
tracker node, in that order (the order the Pipeline serves them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.time import NS_PER_S
from fusion.ego.config import EgoConfig
from fusion.graph.camera import CameraNode
from fusion.graph.config import GraphConfig
from fusion.graph.ego import EgoNode
from fusion.graph.lidar import LidarNode
from fusion.graph.node import NodeCore
from fusion.graph.pipeline import Pipeline
from fusion.graph.radar import RadarNode
from fusion.graph.topics import sensor_topic
from fusion.graph.tracker import TrackerNode
from fusion.tracking.config import TrackerConfig
from sensors.lidar.detector import LidarDetectorConfig
from sensors.radar.frontend import RadarFrontEndConfig


@dataclass
class GraphConfigs:
    """Every config the graph needs; `load` reads them from a folder, falling back to the shipped ones."""

    vehicle: VehicleConfig
    tracker: TrackerConfig
    ego: EgoConfig
    graph: GraphConfig = field(default_factory=GraphConfig)
    lidar_detector: LidarDetectorConfig = field(default_factory=LidarDetectorConfig)
    radar_frontend: RadarFrontEndConfig = field(default_factory=RadarFrontEndConfig)

    FILES = {"vehicle": ("vehicle.yaml", VehicleConfig), "tracker": ("tracker.yaml", TrackerConfig),
             "ego": ("ego.yaml", EgoConfig), "graph": ("graph.yaml", GraphConfig),
             "lidar_detector": ("lidar.yaml", LidarDetectorConfig), "radar_frontend": ("radar.yaml", RadarFrontEndConfig)}

    @classmethod
    def load(cls, folder: str | Path | None = None) -> GraphConfigs:
        """NAME.yaml from `folder` where it exists there, else from the shipped configs/, else defaults
        (the sensor front-ends' files are optional)."""
        loaded = {}
        for key, (name, model) in cls.FILES.items():
            for base in ([Path(folder)] if folder else []) + [config_dir()]:
                if (base / name).is_file():
                    loaded[key] = load_config(base / name, model)
                    break
            else:
                loaded[key] = model()
        return cls(**loaded)


def _choose(setting: str, preferred: tuple[str, ...], sensor_id: str, topics: set[str] | None) -> str:
    if setting != "auto":
        return setting
    if topics is not None:
        for kind in preferred:
            if sensor_topic(sensor_id, kind) in topics:
                return kind
    return preferred[0]


def build_nodes(configs: GraphConfigs, available_topics: set[str] | None = None) -> list[NodeCore]:
    """The node cores; available_topics (a bag's) settles 'auto' input choices."""
    vehicle, g = configs.vehicle, configs.graph
    tree = vehicle.transform_tree()
    base = vehicle.vehicle.base_frame
    nodes: list[NodeCore] = []
    for sensor_id, sensor in vehicle.sensors.items():
        if not sensor.enabled:
            continue
        if sensor.kind == "camera":
            nodes.append(CameraNode(sensor_id, sensor))
        elif sensor.kind == "radar":
            kind = _choose(g.radar_input, ("scan", "points"), sensor_id, available_topics)
            nodes.append(RadarNode(sensor_id, sensor, tree.lookup(base, sensor.frame_id), kind, configs.radar_frontend,
                                   g.radar_objects))
        elif sensor.kind == "lidar":
            kind = _choose(g.lidar_input, ("points", "detections"), sensor_id, available_topics)
            nodes.append(LidarNode(sensor_id, sensor, tree.lookup(base, sensor.frame_id), kind, configs.lidar_detector))
    if {configs.ego.imu_sensor, configs.ego.gnss_sensor} <= set(vehicle.sensors):
        nodes.append(EgoNode(configs.ego, vehicle))   # a vehicle without them (KITTI) is tracked in its own frame
    nodes.append(TrackerNode(configs.tracker, vehicle, g.objects_rate_hz))
    return nodes


def build_pipeline(configs: GraphConfigs, available_topics: set[str] | None = None) -> Pipeline:
    return Pipeline(build_nodes(configs, available_topics), int(round(configs.graph.diagnostics_period_s * NS_PER_S)))
