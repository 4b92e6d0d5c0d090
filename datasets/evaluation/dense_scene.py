"""A dense synthetic scene for the tracker benchmark and tests: N objects at constant velocity around an
ego vehicle driving straight, seen by its lidar (3D boxes), front radar and front camera.

Measurements are the exact geometry plus the vehicle config's noise, with every object detected in its
sensor's field of view and no clutter: fast and deterministic, for timing the tracker and checking its
algebra. Accuracy on realistic data is `taishan eval sim`'s job (datasets.simulation).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.camera_fusion.projection import project_boxes_3d
from fusion.config.vehicle import CameraConfig, LidarConfig, RadarConfig, VehicleConfig
from fusion.core.classes import ObjectClass
from fusion.core.measurements import Boxes3D, CameraDetections, MeasurementBatch, RadarDetections
from fusion.core.transform import Transform
from fusion.core.transform_tree import TransformTree
from sensors.camera.pinhole import PinholeCamera

SIZES = {ObjectClass.CAR: (4.5, 1.9, 1.6), ObjectClass.BICYCLE: (1.8, 0.7, 1.7), ObjectClass.PEDESTRIAN: (0.7, 0.7, 1.8)}
RCS_DBSM = {ObjectClass.CAR: 10.0, ObjectClass.BICYCLE: 2.0, ObjectClass.PEDESTRIAN: -5.0}   # typical at 77 GHz
CYCLE_S = 0.1
OFFSETS_S = {"lidar": 0.0, "radar": 0.02, "camera": 0.04}   # stamps inside one cycle


@dataclass
class DenseScene:
    vehicle: VehicleConfig
    tree: TransformTree
    sensors: dict[str, str]        # kind -> sensor name
    start_ns: int
    ego_speed_mps: float
    classes: np.ndarray            # (N,)
    position0: np.ndarray          # (N, 3) map, at start
    velocity: np.ndarray           # (N, 3)
    sizes: np.ndarray              # (N, 3)
    rng: np.random.Generator

    def ego_pose(self, stamp_ns: int) -> Transform:
        t = (stamp_ns - self.start_ns) * 1e-9
        return Transform(np.array([self.ego_speed_mps * t, 0.0, 0.0]), np.array([0.0, 0.0, 0.0, 1.0]))

    def truth(self, stamp_ns: int) -> tuple[np.ndarray, np.ndarray]:
        """Object centres (N, 3) and yaws (N,) in the map frame."""
        t = (stamp_ns - self.start_ns) * 1e-9
        return self.position0 + t * self.velocity, np.arctan2(self.velocity[:, 1], self.velocity[:, 0])

    def _sensor(self, name: str, stamp_ns: int) -> tuple[Transform, np.ndarray]:
        """T_map_sensor and the sensor's map velocity (the ego drives straight without turning)."""
        mount = self.vehicle.sensors[name].mount.transform()
        return self.ego_pose(stamp_ns) @ mount, np.array([self.ego_speed_mps, 0.0, 0.0])

    def cycle(self, k: int) -> list[MeasurementBatch]:
        """The lidar, radar and camera batches of cycle k, in stamp order; adds the ego poses they need
        (map -> base_link) to the tree."""
        base = self.start_ns + round(k * CYCLE_S * 1e9)
        for dt_ms in (-10, 0, 20, 40, 50):
            stamp = base + dt_ms * 1_000_000
            if stamp >= self.start_ns:
                self.tree.add_dynamic("map", self.vehicle.vehicle.base_frame, stamp, self.ego_pose(stamp))
        out = []
        for kind, offset in OFFSETS_S.items():
            if kind in self.sensors:
                stamp = base + round(offset * 1e9)
                out.append(getattr(self, f"_{kind}")(self.sensors[kind], stamp))
        return out

    def _lidar(self, name: str, stamp: int) -> Boxes3D:
        config: LidarConfig = self.vehicle.sensors[name]
        pose, _ = self._sensor(name, stamp)
        centers, yaws = self.truth(stamp)
        local = pose.inverse().apply(centers)
        seen = np.linalg.norm(local, axis=1) <= config.max_range_m
        n = int(seen.sum())
        noise = self.rng.standard_normal((n, 7))
        return Boxes3D(stamp, config.frame_id, name, centers=local[seen] + config.box_center_std_m * noise[:, :3],
                       sizes=np.maximum(self.sizes[seen] + config.box_size_std_m * noise[:, 3:6], 0.05),
                       yaws=yaws[seen] - pose.rpy[2] + np.radians(config.box_yaw_std_deg) * noise[:, 6],
                       classes=self.classes[seen], scores=np.full(n, 0.9))

    def _radar(self, name: str, stamp: int) -> RadarDetections:
        config: RadarConfig = self.vehicle.sensors[name]
        pose, sensor_velocity = self._sensor(name, stamp)
        centers, _ = self.truth(stamp)
        local = pose.inverse().apply(centers)
        rng_ = np.linalg.norm(local, axis=1)
        az = np.arctan2(local[:, 1], local[:, 0])
        rate = np.sum((centers - pose.translation) * (self.velocity - sensor_velocity), axis=1) / rng_
        seen = (np.abs(az) <= np.radians(config.fov_azimuth_deg) / 2) & (rng_ <= config.max_range_m) & (rng_ >= config.min_range_m)
        n = int(seen.sum())
        noise = self.rng.standard_normal((n, 4))
        rcs = np.array([RCS_DBSM[ObjectClass(c)] for c in self.classes[seen]]).reshape(n)
        return RadarDetections(stamp, config.frame_id, name, range=rng_[seen] + config.range_std_m * noise[:, 0],
                               azimuth=az[seen] + np.radians(config.azimuth_std_deg) * noise[:, 1],
                               elevation=np.arcsin(local[seen, 2] / rng_[seen]),
                               range_rate=rate[seen] + config.range_rate_std_mps * noise[:, 2],
                               rcs=rcs + config.rcs_std_dbsm * noise[:, 3])

    def _camera(self, name: str, stamp: int) -> CameraDetections:
        config: CameraConfig = self.vehicle.sensors[name]
        pose, _ = self._sensor(name, stamp)
        camera = PinholeCamera.from_config(config.intrinsics, config.frame_id)
        centers, yaws = self.truth(stamp)
        boxes, in_front = project_boxes_3d(camera, pose.inverse(), centers, self.sizes, yaws)
        local = pose.inverse().apply(centers)
        uv, _ = camera.project(local)
        seen = in_front & camera.in_image(uv) & (np.linalg.norm(local, axis=1) <= config.max_range_m)
        seen &= ~_occluded(boxes, np.linalg.norm(local, axis=1), seen)
        noisy = boxes[seen] + config.box_noise_px * self.rng.standard_normal((int(seen.sum()), 4))
        noisy[:, 2:] = np.maximum(noisy[:, 2:], noisy[:, :2] + 1.0)
        return CameraDetections(stamp, config.frame_id, name, boxes=noisy, classes=self.classes[seen],
                                scores=np.full(int(seen.sum()), 0.8))


def _occluded(boxes: np.ndarray, depth: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Image boxes half or more covered by one nearer candidate box."""
    idx = np.flatnonzero(candidates)
    b = boxes[idx]
    w = np.clip(np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0]), 0.0, None)
    h = np.clip(np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1]), 0.0, None)
    area = np.maximum((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), 1e-9)
    nearer = depth[idx][None, :] < depth[idx][:, None]
    out = np.zeros(len(boxes), dtype=bool)
    out[idx] = np.any(nearer & (w * h >= 0.5 * area[:, None]), axis=1)
    return out


def dense_scene(vehicle: VehicleConfig, n_objects: int, seed: int = 0, radius_m: float = 90.0,
                ego_speed_mps: float = 10.0, start_ns: int = 1_700_000_000_000_000_000) -> DenseScene:
    """N objects spread evenly (jittered grid) over a disc around the ego start, outside 8 m of it,
    moving in random directions at 0-12 m/s; classes car / bicycle / pedestrian."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_objects * 4 / np.pi * 1.3))) + 2
    grid = np.stack(np.meshgrid(np.linspace(-radius_m, radius_m, side), np.linspace(-radius_m, radius_m, side)), -1).reshape(-1, 2)
    spacing = 2 * radius_m / (side - 1)
    grid += rng.uniform(-0.2, 0.2, grid.shape) * spacing
    r = np.linalg.norm(grid, axis=1)
    candidates = grid[(r <= radius_m) & (r >= 8.0)]
    xy = candidates[rng.permutation(len(candidates))[:n_objects]]
    classes = rng.choice([ObjectClass.CAR, ObjectClass.BICYCLE, ObjectClass.PEDESTRIAN], size=len(xy), p=[0.6, 0.15, 0.25])
    sizes = np.array([SIZES[ObjectClass(c)] for c in classes])
    speed = np.where(classes == ObjectClass.PEDESTRIAN, rng.uniform(0.5, 1.8, len(xy)), rng.uniform(0.0, 12.0, len(xy)))
    heading = rng.uniform(-np.pi, np.pi, len(xy))
    position = np.column_stack([xy, sizes[:, 2] / 2])
    velocity = np.column_stack([speed * np.cos(heading), speed * np.sin(heading), np.zeros(len(xy))])
    tree = vehicle.transform_tree()
    kinds = {}
    for name, sensor in vehicle.sensors.items():
        if sensor.enabled and sensor.kind in ("lidar", "radar", "camera") and sensor.kind not in kinds:
            kinds[sensor.kind] = name
    return DenseScene(vehicle, tree, kinds, start_ns, ego_speed_mps, classes.astype(np.int64), position, velocity, sizes, rng)
