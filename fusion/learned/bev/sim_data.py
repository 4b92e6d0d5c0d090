"""BEV detector samples from simulated scenarios: one per lidar sweep, the raster of the sweep and
the radar scans around it, and the ground-truth boxes in base_link at the sweep's stamp.

Ground truth is where each object was when the spinning head swept over it (the column time of its
azimuth), expressed in base_link at the sweep stamp: the frame the deskewed cloud is in. Optionally
the classical lidar front-end runs on the same sweep (for the comparison in `taishan eval bev`).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from datasets.simulation.config import ScenarioConfig, load_scenario_config
from datasets.simulation.scenario import Scenario, TruthFrame, simulate_scenario
from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.boxes import points_in_boxes
from fusion.core.measurements import Boxes3D, LidarPointCloud, RadarDetections
from fusion.core.time import NS_PER_S
from fusion.core.transform import Transform
from fusion.learned.bev.config import BevDetectorConfig
from fusion.learned.bev.detector import transform_boxes
from fusion.learned.bev.evaluation import in_area
from fusion.learned.bev.inputs import RadarScan, bev_inputs, cloud_intensity, lidar_points_in_base
from fusion.learned.bev.raster import rasterise
from fusion.learned.bev.targets import GroundTruth
from sensors.lidar.detector import LidarDetector


@dataclass
class SimFrame:
    stamp_ns: int
    raster: np.ndarray            # (channels, rows, cols) float16
    truth: GroundTruth
    classical: Boxes3D | None     # the classical lidar front-end's boxes in base_link, when asked for
    base_from_lidar: Transform
    lidar_velocity: np.ndarray    # (3,) the lidar's own velocity over ground, in the lidar frame


def scenario_config(config: BevDetectorConfig, seed: int) -> ScenarioConfig:
    base = load_scenario_config(config.data.scenario or None)
    d = config.data
    traffic = base.traffic.model_copy(update={"cars": d.cars, "pedestrians": d.pedestrians, "cyclists": d.cyclists})
    return base.model_copy(update={"seed": seed, "duration_s": d.duration_s, "lidar_points": True, "traffic": traffic})


def vehicle_config(config: BevDetectorConfig) -> VehicleConfig:
    """The vehicle with only its lidars and radars enabled (the others cost simulation time only)."""
    vehicle = load_config(config.data.vehicle or config_dir() / "vehicle.yaml", VehicleConfig)
    sensors = {name: s if s.kind in ("lidar", "radar") else s.model_copy(update={"enabled": False})
               for name, s in vehicle.sensors.items()}
    return vehicle.model_copy(update={"sensors": sensors})


def _angular_velocity(scenario: Scenario, stamp_ns: int) -> np.ndarray:
    ego = scenario.ego
    return np.array([np.interp(stamp_ns, ego.stamps_ns, ego.angular_velocity[:, k]) for k in range(3)])


def _lidar_twist(scenario: Scenario, stamp_ns: int, base_from_lidar: Transform) -> tuple[np.ndarray, np.ndarray]:
    """Linear and angular velocity of the lidar in its own frame (for deskewing)."""
    map_from_base = scenario.ego.pose_at(stamp_ns)
    omega = _angular_velocity(scenario, stamp_ns)
    v_map = scenario.ego.velocity_at(stamp_ns) + map_from_base.rotate(np.cross(omega, base_from_lidar.translation))
    return (map_from_base @ base_from_lidar).inverse().rotate(v_map), base_from_lidar.inverse().rotate(omega)


def _truth_in_base(scenario: Scenario, truth: TruthFrame, map_from_base: Transform, base_from_lidar: Transform,
                   stamp_ns: int, period_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres, yaws and velocities in base_link, each object taken at its column's firing time
    (the head starts behind the vehicle and turns clockwise, as datasets.simulation.lidar_raycast)."""
    base_from_map = map_from_base.inverse()
    lidar = (map_from_base @ base_from_lidar).inverse().apply(truth.centers)
    azimuth = np.arctan2(lidar[:, 1], lidar[:, 0])
    fired_ns = stamp_ns + (np.pi - azimuth) / (2 * np.pi) * period_s * NS_PER_S
    centers_map = truth.centers + truth.velocities * ((fired_ns - truth.stamp_ns) / NS_PER_S)[:, None]
    heading = base_from_map.rotate(np.column_stack([np.cos(truth.yaws), np.sin(truth.yaws), np.zeros(len(truth.yaws))]))
    return (base_from_map.apply(centers_map), np.arctan2(heading[:, 1], heading[:, 0]),
            base_from_map.rotate(truth.velocities))


def frames_from_scenario(config: BevDetectorConfig, scenario: Scenario, with_classical: bool = False) -> list[SimFrame]:
    vehicle = scenario.vehicle
    tree = vehicle.transform_tree()
    base = vehicle.vehicle.base_frame
    clouds = [e.measurement for e in scenario.events if isinstance(e.measurement, LidarPointCloud)]
    radar: dict[str, list[RadarDetections]] = {}
    for e in scenario.events:
        if isinstance(e.measurement, RadarDetections):
            radar.setdefault(e.measurement.frame_id, []).append(e.measurement)
    truth_stamps = np.array([t.stamp_ns for t in scenario.truth])
    classical = LidarDetector() if with_classical else None
    window_ns = config.raster.radar_window_s * NS_PER_S
    frames = []
    for cloud in clouds[:: config.data.frame_stride]:
        _, lidar_config = vehicle.sensor_by_frame(cloud.frame_id)
        period_s = 1.0 / lidar_config.rate_hz
        mid_ns = cloud.stamp_ns + int(0.5 * period_s * NS_PER_S)
        if not scenario.ego.stamps_ns[0] <= mid_ns <= scenario.ego.stamps_ns[-1]:
            continue
        base_from_lidar = tree.lookup(base, cloud.frame_id)
        map_from_base = scenario.ego.pose_at(cloud.stamp_ns)
        twist = _lidar_twist(scenario, cloud.stamp_ns, base_from_lidar)
        points = lidar_points_in_base(cloud, base_from_lidar, twist)
        scans = []
        for frame_id, batches in radar.items():
            nearest = min(batches, key=lambda b: abs(b.stamp_ns - mid_ns))
            if abs(nearest.stamp_ns - mid_ns) <= window_ns:
                moved = map_from_base.inverse() @ scenario.ego.pose_at(nearest.stamp_ns) @ tree.lookup(base, frame_id)
                scans.append(RadarScan(nearest, moved))
        raster = rasterise(config.raster, bev_inputs(points, cloud_intensity(cloud), scans)).astype(np.float16)

        truth = scenario.truth[int(np.argmin(np.abs(truth_stamps - mid_ns)))]
        centers, yaws, velocities = _truth_in_base(scenario, truth, map_from_base, base_from_lidar, cloud.stamp_ns, period_s)
        counts = np.zeros(len(centers), dtype=np.int64)
        near = np.flatnonzero(in_area(config, centers[:, :2]))
        if len(near):
            counts[near] = points_in_boxes(points, centers[near], truth.sizes[near], yaws[near]).sum(axis=1)
        gt = GroundTruth(centers, truth.sizes.astype(float), yaws, truth.classes.astype(np.int64), velocities, counts)
        boxes = None if classical is None else transform_boxes(classical.detect(cloud, twist).boxes, base_from_lidar, base)
        frames.append(SimFrame(cloud.stamp_ns, raster, gt, boxes, base_from_lidar, twist[0]))
    return frames


def simulate_frames(config: BevDetectorConfig, seeds: list[int], with_classical: bool = False, progress: bool = True) -> list[SimFrame]:
    """Simulate one scenario per seed and turn its sweeps into samples."""
    from tqdm import tqdm

    vehicle = vehicle_config(config)
    frames: list[SimFrame] = []
    for seed in tqdm(seeds, desc="simulate scenes", unit="scene", file=sys.stderr, disable=not progress):
        frames.extend(frames_from_scenario(config, simulate_scenario(scenario_config(config, seed), vehicle), with_classical))
    return frames

