"""A simulated drive: time-stamped sensor measurements in arrival order, and the ground truth.

`simulate_scenario(scenario_config, vehicle_config)` is deterministic for the config's seed. Each
sensor draws from its own random stream (seeded by the scenario seed and the sensor's name), so
adding a sensor or switching on lidar point clouds leaves every other stream unchanged.
"""
from __future__ import annotations

import sys
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from datasets.simulation.camera_model import CameraModel
from datasets.simulation.config import ScenarioConfig
from datasets.simulation.ego_trajectory import EgoTrajectory
from datasets.simulation.inertial_sensors import simulate_gnss, simulate_imu, simulate_wheel_speed
from datasets.simulation.lidar_model import LidarModel
from datasets.simulation.lidar_raycast import LidarScanner
from datasets.simulation.population import build_population
from datasets.simulation.radar_model import RadarModel
from datasets.simulation.road import RoadLayout
from datasets.simulation.sensor_model import SensorModel
from datasets.simulation.sensor_view import SensorView, sensor_views
from datasets.simulation.traffic import TrafficHistory, simulate_traffic
from fusion.config.vehicle import VehicleConfig
from fusion.core.classes import ObjectClass
from fusion.core.measurements import Measurement
from fusion.core.time import NS_PER_S
from fusion.ego.geodesy import GeodeticOrigin
from fusion.graph.topics import WHEEL_SPEED_SENSOR

EGO_RATE_HZ = 100.0
TRAFFIC_MARGIN_S = 1.0   # the traffic (and ego) run this much past the end, for scans still spinning at the end
MODELS = {"camera": CameraModel, "radar": RadarModel, "lidar": LidarModel}


@dataclass(frozen=True)
class SensorEvent:
    """A measurement as a consumer receives it: at arrival_ns = stamp + the sensor's latency.
    truth_ids (perception sensors only) names the true track behind each row, -1 for clutter."""

    arrival_ns: int
    measurement: Measurement
    truth_ids: np.ndarray | None = None

    @property
    def stamp_ns(self) -> int:
        return self.measurement.stamp_ns

    @property
    def sensor_id(self) -> str:
        return self.measurement.sensor_id

    def sort_key(self) -> tuple[int, int, str, str]:
        """(arrival, stamp, sensor id, measurement type): a total order, as a lidar's point cloud and
        its detector's boxes share the other three."""
        return self.arrival_ns, self.stamp_ns, self.sensor_id, type(self.measurement).__name__


@dataclass(frozen=True)
class TruthFrame:
    """The road users at one stamp (map frame): ids, classes, box volume centres (N, 3), velocities
    (N, 3), yaws (N,), sizes l w h (N, 3), and whether at least one sensor could detect each."""

    stamp_ns: int
    track_ids: np.ndarray
    classes: np.ndarray
    centers: np.ndarray
    velocities: np.ndarray
    yaws: np.ndarray
    sizes: np.ndarray
    visible: np.ndarray


@dataclass
class Scenario:
    config: ScenarioConfig
    vehicle: VehicleConfig
    events: list[SensorEvent]
    truth: list[TruthFrame]
    ego: EgoTrajectory
    origin: GeodeticOrigin

    def counts_by_sensor(self) -> dict[str, int]:
        """Number of events per sensor id (measurement type added where a sensor has several)."""
        kinds: dict[str, set[str]] = {}
        for e in self.events:
            kinds.setdefault(e.sensor_id, set()).add(type(e.measurement).__name__)
        counts = Counter(e.sensor_id if len(kinds[e.sensor_id]) == 1 else f"{e.sensor_id} ({type(e.measurement).__name__})"
                         for e in self.events)
        return dict(sorted(counts.items()))

    def summary(self) -> dict[str, Any]:
        """Figures for a person: events per sensor, road users per class, how much was visible, the ego drive."""
        ids_by_class: dict[str, set[int]] = {}
        seen: set[int] = set()
        for frame in self.truth:
            for track, cls, visible in zip(frame.track_ids.tolist(), frame.classes.tolist(), frame.visible.tolist()):
                ids_by_class.setdefault(ObjectClass(cls).name.lower(), set()).add(track)
                if visible:
                    seen.add(track)
        return {
            "duration_s": self.config.duration_s,
            "seed": self.config.seed,
            "events": len(self.events),
            "events_per_sensor": self.counts_by_sensor(),
            "road_users_per_class": {name: len(ids) for name, ids in sorted(ids_by_class.items())},
            "road_users_seen": len(seen),
            "visible_per_truth_frame": float(np.mean([f.visible.sum() for f in self.truth])) if self.truth else 0.0,
            "ego_distance_m": self.ego.distance_m,
        }


def random_stream(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per (seed, name): 'traffic', 'sensor/<sensor name>', ..."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(stream.encode()),)))


def perception_models(vehicle: VehicleConfig) -> list[SensorModel]:
    """A model per enabled camera, radar and lidar of the vehicle."""
    tree = vehicle.transform_tree()
    return [MODELS[s.kind](name, s, tree.lookup(vehicle.vehicle.base_frame, s.frame_id))
            for name, s in vehicle.sensors.items() if s.enabled and s.kind in MODELS]


def _ego_trajectory(history: TrafficHistory, start_ns: int) -> EgoTrajectory:
    times, positions = history.ego_waypoints()
    return EgoTrajectory.from_waypoints(times, positions, rate_hz=EGO_RATE_HZ, start_ns=start_ns)


def _inertial_events(config: ScenarioConfig, vehicle: VehicleConfig, ego: EgoTrajectory, origin: GeodeticOrigin) -> list[SensorEvent]:
    """IMU, GNSS and wheel-speed events of the whole drive."""
    tree = vehicle.transform_tree()
    streams = []   # (measurements, latency_s)
    for name, sensor in vehicle.sensors.items():
        if not sensor.enabled or sensor.kind not in ("imu", "gnss"):
            continue
        mount = tree.lookup(vehicle.vehicle.base_frame, sensor.frame_id)
        rng = random_stream(config.seed, f"sensor/{name}")
        if sensor.kind == "imu":
            samples = simulate_imu(ego, sensor, mount, rng, origin if config.earth_rotation else None, sensor_id=name)
        else:
            samples = simulate_gnss(ego, sensor, origin, rng, config.outage_windows_s(), mount, sensor_id=name)
        streams.append((samples, sensor.latency_s))
    wheel = vehicle.wheel_speed
    if wheel.enabled:
        samples = simulate_wheel_speed(ego, random_stream(config.seed, f"sensor/{WHEEL_SPEED_SENSOR}"), wheel.rate_hz,
                                       wheel.noise_std_mps, wheel.scale_error, vehicle.vehicle.base_frame, WHEEL_SPEED_SENSOR)
        streams.append((samples, wheel.latency_s))
    events = []
    for samples, latency_s in streams:
        latency = int(round(latency_s * NS_PER_S))
        events.extend(SensorEvent(m.stamp_ns + latency, m) for m in samples if m.stamp_ns - ego.stamps_ns[0] <= config.duration_s * NS_PER_S)
    return events


def truth_frame(history: TrafficHistory, models: list[SensorModel], views: list[SensorView], stamp_ns: int, t: float) -> TruthFrame:
    """The road users at t seconds after the start (stamp_ns); `views` holds each model's view then."""
    world = history.world_at(t)
    visible = np.zeros(len(world), dtype=bool)
    for model, view in zip(models, views):
        visible |= model.detectable(view, world)
    return TruthFrame(stamp_ns, world.ids, world.classes, world.centers, world.velocities,
                      world.yaws, world.sizes, visible)


def simulate_scenario(scenario_config: ScenarioConfig, vehicle_config: VehicleConfig, progress: bool = False) -> Scenario:
    """Simulate the traffic, the ego drive and every enabled sensor of the vehicle."""
    config, vehicle = scenario_config, vehicle_config
    start_ns = config.start_time_s * NS_PER_S
    origin = GeodeticOrigin(config.origin.latitude_deg, config.origin.longitude_deg, config.origin.altitude_m)
    road = RoadLayout(config.road)
    population, paths = build_population(config, road, vehicle.vehicle, random_stream(config.seed, "traffic"))
    history = simulate_traffic(population, paths, road, config.duration_s + TRAFFIC_MARGIN_S)
    ego = _ego_trajectory(history, start_ns)
    models = perception_models(vehicle)

    rngs = {m.name: random_stream(config.seed, f"sensor/{m.name}") for m in models}
    jobs = sorted(((view.stamp_ns, m.name, m, view) for m in models
                   for view in sensor_views(ego, m.base_from_sensor, m.stamps(start_ns, config.duration_s, rngs[m.name]))),
                  key=lambda job: job[:2])
    scanners = {m.name: LidarScanner(m) for m in models if config.lidar_points and isinstance(m, LidarModel)}
    point_rngs = {name: random_stream(config.seed, f"sensor/{name}/points") for name in scanners}
    truth_stamps = start_ns + np.round(np.arange(int(np.floor(config.duration_s * config.truth_rate_hz + 1e-9)) + 1)
                                       / config.truth_rate_hz * NS_PER_S).astype(np.int64)

    events = _inertial_events(config, vehicle, ego, origin)
    bar = tqdm(total=len(jobs) + len(truth_stamps), desc="simulate", unit="msg", file=sys.stderr, disable=not progress)
    for stamp, name, model, view in jobs:
        t = (stamp - start_ns) / NS_PER_S
        measurement, truth_ids = model.measure(view, history.world_at(t), rngs[name])
        events.append(SensorEvent(stamp + model.latency_ns, measurement, truth_ids))
        if name in scanners:
            half_ns = int(round(0.5 / model.config.rate_hz * NS_PER_S))
            cloud = scanners[name].scan(ego, history.world_at(t + half_ns / NS_PER_S), stamp + half_ns, stamp, point_rngs[name])
            events.append(SensorEvent(stamp + model.latency_ns, cloud))
        bar.update()
    truth_views = [sensor_views(ego, m.base_from_sensor, truth_stamps) for m in models]
    truth = []
    for k, stamp in enumerate(truth_stamps):
        views = [per_model[k] for per_model in truth_views]
        truth.append(truth_frame(history, models, views, int(stamp), (stamp - start_ns) / NS_PER_S))
        bar.update()
    bar.close()
    events.sort(key=SensorEvent.sort_key)
    return Scenario(config, vehicle, events, truth, ego, origin)
