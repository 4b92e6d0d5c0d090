"""Lidar object detector output: oriented 3D boxes in the lidar frame, for objects that would put
enough points on the scan (estimated from the beam pattern, range and occlusion)."""
from __future__ import annotations

import numpy as np

from datasets.simulation.population import SIZE_MEAN
from datasets.simulation.sensor_model import SIMULATED_CLASSES, SensorModel, per_class
from datasets.simulation.sensor_view import SensorView
from datasets.simulation.visibility import azimuth_extent, hidden_heights
from datasets.simulation.world import WorldState
from fusion.config.vehicle import LidarConfig
from fusion.core.measurements import Boxes3D
from fusion.core.quaternion import wrap_angle

POINTS_FOR_FULL_SCORE = 60
MEAN_SIZES = per_class(SIZE_MEAN)


class LidarModel(SensorModel):
    config: LidarConfig

    @property
    def channel_elevations(self) -> np.ndarray:
        """Elevation angles [rad] of the channels, lowest first, evenly spread over the vertical FOV."""
        low, high = np.radians(self.config.vertical_fov_deg)
        return np.linspace(low, high, self.config.channels)

    def expected_points(self, view: SensorView, world: WorldState) -> np.ndarray:
        """Points (N,) each object would get: columns across its azimuth interval times the channels
        whose beams pass through its unhidden height (at its nearest corner), thinned by dropout."""
        if not len(world):
            return np.zeros(0)
        corners = view.to_sensor(world.corners())                                   # (N, 8, 3) lidar frame
        _, lo, hi, near = azimuth_extent(np.zeros(2), corners[:, :4, :2])
        columns = (hi - lo) / np.radians(self.config.horizontal_resolution_deg)
        top = world.centers[:, 2] + 0.5 * world.sizes[:, 2]
        bottom = world.centers[:, 2] - 0.5 * world.sizes[:, 2]
        visible_from = np.maximum(hidden_heights(view.origin, world, self.config.max_range_m), bottom[:, None])  # (N, K) map heights
        distance = np.maximum(near, 1e-3)[:, None]
        low = np.arctan2(visible_from - view.origin[2], distance)
        high = np.arctan2(top[:, None] - view.origin[2], distance)
        beams = self.channel_elevations
        rows = ((beams[None, None, :] >= low[..., None]) & (beams[None, None, :] <= high[..., None])).sum(axis=2).mean(axis=1)
        in_range = (near >= self.config.min_range_m) & (near <= self.config.max_range_m)
        return columns * rows * (1.0 - self.config.dropout_probability) * in_range

    def detectable(self, view: SensorView, world: WorldState) -> np.ndarray:
        return self.expected_points(view, world) >= self.config.box_min_points

    def measure(self, view: SensorView, world: WorldState, rng: np.random.Generator) -> tuple[Boxes3D, np.ndarray]:
        c = self.config
        n = len(world)
        points = self.expected_points(view, world)
        detected = (points >= c.box_min_points) & (rng.random(n) < c.box_detection_probability)
        centers = view.to_sensor(world.centers) + rng.standard_normal((n, 3)) * c.box_center_std_m
        heading = view.vectors_to_sensor(np.column_stack([np.cos(world.yaws), np.sin(world.yaws), np.zeros(n)]))
        yaws = wrap_angle(np.arctan2(heading[:, 1], heading[:, 0]) + rng.standard_normal(n) * np.radians(c.box_yaw_std_deg))
        sizes = np.maximum(world.sizes + rng.standard_normal((n, 3)) * c.box_size_std_m, 0.1)
        scores = np.clip(0.5 + 0.45 * np.minimum(points / POINTS_FOR_FULL_SCORE, 1.0) + 0.03 * rng.standard_normal(n), 0.05, 0.99)

        k = rng.poisson(c.box_false_positives_per_frame)
        fp_classes = SIMULATED_CLASSES[rng.integers(len(SIMULATED_CLASSES), size=k)]
        fp_range = np.sqrt(rng.uniform(c.min_range_m**2, (0.6 * c.max_range_m) ** 2, k))
        fp_azimuth = rng.uniform(-np.pi, np.pi, k)
        fp_sizes = MEAN_SIZES[fp_classes]
        ground = view.to_sensor(np.array([view.origin[0], view.origin[1], 0.0]))[2]   # the ground's height in the lidar frame
        fp_centers = np.column_stack([fp_range * np.cos(fp_azimuth), fp_range * np.sin(fp_azimuth), ground + fp_sizes[:, 2] / 2])

        order = rng.permutation(int(detected.sum()) + k)
        boxes = Boxes3D(
            view.stamp_ns, c.frame_id, self.name,
            centers=np.vstack([centers[detected], fp_centers])[order],
            sizes=np.vstack([sizes[detected], fp_sizes])[order],
            yaws=np.concatenate([yaws[detected], rng.uniform(-np.pi, np.pi, k)])[order],
            classes=np.concatenate([world.classes[detected], fp_classes])[order],
            scores=np.concatenate([scores[detected], rng.uniform(0.1, 0.5, k)])[order])
        truth_ids = np.concatenate([world.ids[detected], np.full(k, -1, dtype=np.int64)])[order]
        return boxes, truth_ids
