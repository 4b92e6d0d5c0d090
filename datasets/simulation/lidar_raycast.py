"""Spinning-lidar point clouds ray-cast on the road users' boxes and the ground plane.

The head spins clockwise seen from above (like a Velodyne), starting behind the vehicle at the scan
stamp; column k fires at stamp + k / (columns * rate). Every column uses the sensor pose at its own
firing time and the objects moved linearly to it, so the cloud is skewed exactly as a real scan of
a moving vehicle is (points are in the lidar frame at their firing time; 'time' holds the offset).

Only (object, ray) pairs within an object's azimuth interval are intersected (slab method), so the
cost grows with the objects' angular size, not with objects x rays.
"""
from __future__ import annotations

import numpy as np

from datasets.simulation.ego_trajectory import EgoTrajectory
from datasets.simulation.lidar_model import LidarModel
from datasets.simulation.ray_box import ray_box_entry
from datasets.simulation.sensor_model import per_class
from datasets.simulation.sensor_view import sensor_poses
from datasets.simulation.visibility import azimuth_extent
from datasets.simulation.world import WorldState
from fusion.core import quaternion as quat
from fusion.core.classes import ObjectClass
from fusion.core.measurements import LidarPointCloud
from fusion.core.time import NS_PER_S

REFLECTIVITY = per_class({ObjectClass.CAR: 0.55, ObjectClass.BICYCLE: 0.35, ObjectClass.PEDESTRIAN: 0.25})
GROUND_REFLECTIVITY = 0.12
COLUMN_MARGIN = 2


class LidarScanner:
    def __init__(self, model: LidarModel):
        self.model = model
        c = model.config
        self.columns = int(round(360.0 / c.horizontal_resolution_deg))
        self.azimuths = np.pi - 2.0 * np.pi * (np.arange(self.columns) + 0.5) / self.columns
        el = model.channel_elevations
        self.directions = np.stack([np.cos(el)[:, None] * np.cos(self.azimuths)[None, :],
                                    np.cos(el)[:, None] * np.sin(self.azimuths)[None, :],
                                    np.broadcast_to(np.sin(el)[:, None], (len(el), self.columns))], axis=-1)  # (C, A, 3)
        self.column_offsets_s = np.arange(self.columns) / (self.columns * c.rate_hz)

    def _column(self, azimuth: np.ndarray) -> np.ndarray:
        return (np.pi - azimuth) * self.columns / (2.0 * np.pi) - 0.5

    def _pairs(self, world: WorldState, origins: np.ndarray, rotations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(object, column) pairs to intersect: each object's azimuth interval at mid-scan, widened
        by how far it can sweep in half a scan (its speed plus the sensor's, and the sensor's turn)."""
        mid = self.columns // 2
        corners = quat.rotate(quat.conjugate(rotations[mid]), world.corners()[:, :4, :] - origins[mid])
        az, lo, hi, near = azimuth_extent(np.zeros(2), corners[..., :2])
        rate = self.model.config.rate_hz
        sensor_speed = np.linalg.norm(origins[-1] - origins[0]) * rate
        turn = np.linalg.norm(quat.to_rotvec(quat.multiply(quat.conjugate(rotations[0]), rotations[-1])))
        relative_speed = np.linalg.norm(world.velocities[:, :2], axis=1) + sensor_speed
        sweep = 0.5 * (relative_speed / np.maximum(near, 0.5) / rate + turn)
        first = np.floor(self._column(az + hi + sweep)).astype(int) - COLUMN_MARGIN
        last = np.ceil(self._column(az + lo - sweep)).astype(int) + COLUMN_MARGIN
        count = np.where(near <= self.model.config.max_range_m + 10.0, np.clip(last - first + 1, 0, self.columns), 0)
        owner = np.repeat(np.arange(len(world)), count)
        start = np.repeat(first, count)
        within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        return owner, (start + within) % self.columns

    def scan(self, ego: EgoTrajectory, world: WorldState, world_time_ns: int, stamp_ns: int,
             rng: np.random.Generator) -> LidarPointCloud:
        """One revolution starting at stamp_ns; `world` holds the objects at world_time_ns."""
        c = self.model.config
        n_channels = len(self.directions)
        column_stamps = stamp_ns + np.round(self.column_offsets_s * NS_PER_S).astype(np.int64)
        origins, rotations = sensor_poses(ego, self.model.base_from_sensor, column_stamps)      # (A, 3), (A, 4)
        directions = quat.rotate(rotations[None, :, :], self.directions)                        # (C, A, 3) map frame
        owner, column = self._pairs(world, origins, rotations)

        # every channel of every candidate column, against the owner's box moved to the column's time
        owner = np.repeat(owner, n_channels)
        channel = np.tile(np.arange(n_channels), len(column))
        column = np.repeat(column, n_channels)
        dt = (column_stamps[column] - world_time_ns) / NS_PER_S
        centers = world.centers[owner] + world.velocities[owner] * dt[:, None]
        distance, cosine = ray_box_entry(origins[column], directions[channel, column], centers,
                                         world.sizes[owner], world.yaws[owner])
        ray = channel * self.columns + column
        hit = np.isfinite(distance)
        ray, distance, cosine, owner = ray[hit], distance[hit], cosine[hit], owner[hit]
        first = np.lexsort((distance, ray))
        ray, distance, cosine, owner = ray[first], distance[first], cosine[first], owner[first]
        nearest = np.concatenate([[True], ray[1:] != ray[:-1]]) if len(ray) else np.zeros(0, dtype=bool)

        n_rays = n_channels * self.columns
        best = np.full(n_rays, np.inf)
        reflect = np.zeros(n_rays)
        best[ray[nearest]] = distance[nearest]
        classes = world.classes[owner[nearest]]
        reflect[ray[nearest]] = REFLECTIVITY[classes] * (0.3 + 0.7 * cosine[nearest])
        down = directions[..., 2].reshape(-1)
        origin_z = np.broadcast_to(origins[None, :, 2], (n_channels, self.columns)).reshape(-1)
        with np.errstate(divide="ignore"):
            ground = np.where(down < 0.0, -origin_z / down, np.inf)
        on_ground = ground < best
        best = np.where(on_ground, ground, best)
        reflect = np.where(on_ground, GROUND_REFLECTIVITY * (0.3 + 0.7 * np.abs(down)), reflect)

        measured = best + rng.standard_normal(n_rays) * c.range_std_m
        keep = ((best >= c.min_range_m) & (best <= c.max_range_m) & (rng.random(n_rays) >= c.dropout_probability))
        local = self.directions.reshape(-1, 3)[keep] * measured[keep, None]
        intensity = np.clip(255.0 * reflect[keep] + rng.standard_normal(int(keep.sum())) * 3.0, 0.0, 255.0)
        rings = np.repeat(np.arange(n_channels), self.columns)[keep]
        times = np.tile(self.column_offsets_s, n_channels)[keep]
        order = np.lexsort((rings, times))  # firing order
        return LidarPointCloud(stamp_ns, c.frame_id, self.model.name, points=_float32(local[order]),
                               fields={"intensity": _float32(intensity[order]), "ring": rings[order].astype(float),
                                       "time": _float32(times[order])})


def _float32(values: np.ndarray) -> np.ndarray:
    """Values rounded to float32, the precision of a PointCloud2 from a lidar driver."""
    return values.astype(np.float32).astype(float)
