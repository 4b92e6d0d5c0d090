"""Build the graph's node cores from the configs: one front-end node per enabled camera, radar and
lidar, the ego node (when the vehicle has the IMU and GNSS the ego config names) and the tracker
node, in that order (the order the Pipeline serves them).

`build_node` makes one of them; replay builds the whole graph with `build_nodes`, each ROS node of
the live graph builds its own cores with `build_node` (fusion.ros.cores), so both run the same
choice of cores: the lidar front-end is the classical detector or the learned BEV detector
(graph.yaml `lidar_detector`), the tracker associates by the Kalman or the learned cost
(`association`); the learned ones load the checkpoint their model config names (nothing is
downloaded), and a missing or mismatching checkpoint is a ConfigError naming that config file.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.errors import ConfigError, InputError
from fusion.core.time import NS_PER_S
from fusion.core.transform import Transform
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

FRONT_ENDS = ("camera", "radar", "lidar")


def find_config(name: str | Path, folder: str | Path | None = None) -> Path | None:
    """A config file: `name` itself when absolute, else `folder`/name where it exists there, else the
    shipped configs/name; None when there is none."""
    name = Path(name).expanduser()
    if name.is_absolute():
        candidates = [name]
    else:
        candidates = ([Path(folder) / name] if folder else []) + [config_dir() / name]
    return next((path for path in candidates if path.is_file()), None)


@dataclass
class GraphConfigs:
    """Every config the graph needs; `load` reads them from a folder, falling back to the shipped ones.
    `folder` (the --config folder) is also where graph.yaml's model config files are looked up first."""

    vehicle: VehicleConfig
    tracker: TrackerConfig
    ego: EgoConfig
    graph: GraphConfig = field(default_factory=GraphConfig)
    lidar_detector: LidarDetectorConfig = field(default_factory=LidarDetectorConfig)
    radar_frontend: RadarFrontEndConfig = field(default_factory=RadarFrontEndConfig)
    folder: Path | None = None

    FILES = {"vehicle": ("vehicle.yaml", VehicleConfig), "tracker": ("tracker.yaml", TrackerConfig),
             "ego": ("ego.yaml", EgoConfig), "graph": ("graph.yaml", GraphConfig),
             "lidar_detector": ("lidar.yaml", LidarDetectorConfig), "radar_frontend": ("radar.yaml", RadarFrontEndConfig)}

    @classmethod
    def load(cls, folder: str | Path | None = None) -> GraphConfigs:
        """NAME.yaml from `folder` where it exists there, else from the shipped configs/, else defaults
        (the sensor front-ends' files are optional)."""
        loaded = {}
        for key, (name, model) in cls.FILES.items():
            path = find_config(name, folder)
            loaded[key] = load_config(path, model) if path else model()
        return cls(**loaded, folder=Path(folder) if folder else None)

    def model_config_file(self, key: str) -> Path:
        """The file that graph.yaml's `key` (bev_config, association_config) names."""
        name = getattr(self.graph, key)
        path = find_config(name, self.folder)
        if path is None:
            places = " or ".join(str(p) for p in ([self.folder] if self.folder else []) + [config_dir()])
            where = "" if Path(name).expanduser().is_absolute() else f" (looked in {places})"
            raise ConfigError("graph config (graph.yaml)", [f"{key}: file {name!r} not found{where}"])
        return path


def _require_torch(key: str) -> None:
    """The learned stages run on PyTorch (the `train` extra); without it, say so instead of a traceback."""
    try:
        import safetensors  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        raise ConfigError("graph config (graph.yaml)", [f"{key}: 'learned' needs PyTorch and safetensors in this Python "
                                                        f"environment (pip install -e '.[train]'): {exc}"]) from None


@contextmanager
def _checkpoint_of(config_file: Path) -> Iterator[None]:
    """A checkpoint that is missing or does not match its model config: a ConfigError naming the config."""
    try:
        yield
    except InputError as exc:
        raise ConfigError(str(config_file), [f"checkpoint {exc.source}: {exc.reason}"]) from None


def _choose(setting: str, preferred: tuple[str, ...], sensor_id: str, topics: set[str] | None) -> str:
    if setting != "auto":
        return setting
    if topics is not None:
        for kind in preferred:
            if sensor_topic(sensor_id, kind) in topics:
                return kind
    return preferred[0]


def _camera(configs: GraphConfigs, sensor_id: str, topics: set[str] | None) -> NodeCore:
    return CameraNode(sensor_id, configs.vehicle.sensors[sensor_id])


def _radar(configs: GraphConfigs, sensor_id: str, topics: set[str] | None) -> NodeCore:
    g, sensor = configs.graph, configs.vehicle.sensors[sensor_id]
    kind = _choose(g.radar_input, ("scan", "points"), sensor_id, topics)
    return RadarNode(sensor_id, sensor, _mount(configs, sensor.frame_id), kind, configs.radar_frontend, g.radar_objects)


def _lidar(configs: GraphConfigs, sensor_id: str, topics: set[str] | None) -> NodeCore:
    g, sensor = configs.graph, configs.vehicle.sensors[sensor_id]
    kind = _choose(g.lidar_input, ("points", "detections"), sensor_id, topics)
    if g.lidar_detector == "classical":
        return LidarNode(sensor_id, sensor, _mount(configs, sensor.frame_id), kind, configs.lidar_detector)
    if kind != "points":
        raise ConfigError("graph config (graph.yaml)", [f"lidar_detector: 'learned' runs on point clouds; the input has "
                                                        f"{sensor_topic(sensor_id, 'detections')} but no {sensor_topic(sensor_id, 'points')}"])
    _require_torch("lidar_detector")
    from fusion.learned.bev.config import load_bev_config
    from fusion.learned.bev.detector import BevDetector
    from fusion.learned.node import BevDetectorNode

    path = configs.model_config_file("bev_config")
    config = load_bev_config(path)
    with _checkpoint_of(path):
        detector = BevDetector(config)
    return BevDetectorNode(sensor_id, configs.vehicle, config, detector)


def _ego(configs: GraphConfigs, sensor_id: str | None, topics: set[str] | None) -> NodeCore:
    ego, vehicle = configs.ego, configs.vehicle
    missing = [name for name in (ego.imu_sensor, ego.gnss_sensor) if name not in vehicle.sensors]
    if missing:
        raise ConfigError("ego config (imu_sensor, gnss_sensor)", [
            f"vehicle {vehicle.vehicle.name!r} lacks sensor {name!r}, which the ego estimator needs" for name in missing])
    return EgoNode(ego, vehicle, configs.graph.ego_rate_hz)


def _tracker(configs: GraphConfigs, sensor_id: str | None, topics: set[str] | None) -> NodeCore:
    tracker = None
    if configs.graph.lidar_association == "learned":
        _require_torch("association")
        from fusion.learned.association.config import load_association_config
        from fusion.learned.association.cost import learned_tracker

        path = configs.model_config_file("association_config")
        config = load_association_config(path)
        with _checkpoint_of(path):
            tracker = learned_tracker(configs.tracker, configs.vehicle, configs.vehicle.transform_tree(), config)
    return TrackerNode(configs.tracker, configs.vehicle, configs.graph.objects_rate_hz, tracker=tracker,
                       objects_trigger=configs.graph.objects_trigger)


def _mount(configs: GraphConfigs, frame_id: str) -> Transform:
    """T_base_sensor of a sensor frame, from the vehicle config's mounts."""
    vehicle = configs.vehicle
    return vehicle.transform_tree().lookup(vehicle.vehicle.base_frame, frame_id)


_BUILDERS: dict[str, Callable[[GraphConfigs, str | None, set[str] | None], NodeCore]] = {
    "camera": _camera, "radar": _radar, "lidar": _lidar, "ego": _ego, "tracker": _tracker}


def build_node(role: str, configs: GraphConfigs, sensor_id: str | None = None, available_topics: set[str] | None = None) -> NodeCore:
    """One node core: the front-end of `sensor_id` (role 'camera', 'radar' or 'lidar'), the ego
    estimator ('ego') or the tracker ('tracker'). available_topics (a bag's) settles 'auto' input
    choices; without it the first preference is taken (lidar points, radar scans)."""
    if role not in _BUILDERS:
        raise ValueError(f"unknown node role {role!r} (known: {', '.join(_BUILDERS)})")
    if role in FRONT_ENDS:
        sensor = configs.vehicle.sensors.get(sensor_id or "")
        if sensor is None or sensor.kind != role:
            raise ValueError(f"{sensor_id!r} is not a {role} of vehicle {configs.vehicle.vehicle.name!r}")
    return _BUILDERS[role](configs, sensor_id, available_topics)


def build_nodes(configs: GraphConfigs, available_topics: set[str] | None = None) -> list[NodeCore]:
    """The node cores of the whole graph; available_topics (a bag's) settles 'auto' input choices."""
    vehicle = configs.vehicle
    nodes = [build_node(sensor.kind, configs, sensor_id, available_topics) for sensor_id, sensor in vehicle.sensors.items()
             if sensor.enabled and sensor.kind in FRONT_ENDS]
    if {configs.ego.imu_sensor, configs.ego.gnss_sensor} <= set(vehicle.sensors):
        nodes.append(build_node("ego", configs))   # a vehicle without them (KITTI) is tracked in its own frame
    nodes.append(build_node("tracker", configs))
    return nodes


def build_pipeline(configs: GraphConfigs, available_topics: set[str] | None = None) -> Pipeline:
    return Pipeline(build_nodes(configs, available_topics), int(round(configs.graph.diagnostics_period_s * NS_PER_S)))
