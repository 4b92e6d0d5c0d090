"""mmWave radar: a few returns per object on its visible surface, with range-rate (Doppler) relative
to the moving sensor, RCS by class, static clutter, field-of-view and range limits."""
from __future__ import annotations

import numpy as np

from datasets.simulation.ray_box import ray_box_entry
from datasets.simulation.sensor_model import SensorModel, per_class
from datasets.simulation.sensor_view import SensorView
from datasets.simulation.visibility import visible_fraction
from datasets.simulation.world import WorldState
from fusion.config.vehicle import RadarConfig
from fusion.core.classes import ObjectClass
from fusion.core.measurements import RadarDetections

RCS_MEAN_DBSM = per_class({ObjectClass.CAR: 10.0, ObjectClass.BICYCLE: 2.0, ObjectClass.PEDESTRIAN: -5.0})
CLUTTER_RCS_DBSM = (-5.0, 5.0)   # mean, std of clutter (kerbs, poles, signs)
MAX_EXTRA_CAR_RETURNS = 3
CAR_RETURNS_RANGE_M = 15.0        # closer cars give more returns


def _spherical(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng_ = np.linalg.norm(points, axis=-1)
    azimuth = np.arctan2(points[..., 1], points[..., 0])
    elevation = np.arcsin(np.clip(points[..., 2] / np.maximum(rng_, 1e-9), -1.0, 1.0))
    return rng_, azimuth, elevation


class RadarModel(SensorModel):
    config: RadarConfig

    def _in_field(self, rng_: np.ndarray, azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
        c = self.config
        return ((rng_ >= c.min_range_m) & (rng_ <= c.max_range_m) & (np.abs(azimuth) <= np.radians(c.fov_azimuth_deg) / 2)
                & (np.abs(elevation) <= np.radians(c.fov_elevation_deg) / 2))

    def detectable(self, view: SensorView, world: WorldState) -> np.ndarray:
        if not len(world):
            return np.zeros(0, dtype=bool)
        in_field = self._in_field(*_spherical(view.to_sensor(world.centers)))
        return in_field & (visible_fraction(view.origin, world, self.config.max_range_m) >= self.config.min_visible_fraction)

    def _returns_per_object(self, world: WorldState, distance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        extra_car = np.minimum(rng.poisson(2.0 * np.minimum(1.0, CAR_RETURNS_RANGE_M / np.maximum(distance, 1e-3))), MAX_EXTRA_CAR_RETURNS)
        extra_cyclist = (rng.random(len(world)) < 0.3).astype(int)
        extra = np.select([world.classes == ObjectClass.CAR, world.classes == ObjectClass.BICYCLE], [extra_car, extra_cyclist], 0)
        return 1 + extra

    def measure(self, view: SensorView, world: WorldState, rng: np.random.Generator) -> tuple[RadarDetections, np.ndarray]:
        c = self.config
        n = len(world)
        detected = self.detectable(view, world) & (rng.random(n) < c.detection_probability)
        distance = np.linalg.norm(world.centers - view.origin, axis=1)
        count = self._returns_per_object(world, distance, rng) * detected
        owner = np.repeat(np.arange(n), count)
        # a scatter point: where the ray towards a random point inside the box enters it
        target = world.centers[owner] + (rng.random((len(owner), 3)) - 0.5) * world.sizes[owner] * np.array([1.0, 1.0, 0.8])
        direction = target - view.origin
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        along, _ = ray_box_entry(np.broadcast_to(view.origin, direction.shape), direction, world.centers[owner],
                                 world.sizes[owner], world.yaws[owner])
        along = np.where(np.isfinite(along), along, np.linalg.norm(target - view.origin, axis=1))
        scatter = view.origin + direction * along[:, None]
        range_rate = np.einsum("ij,ij->i", world.velocities[owner] - view.velocity, direction)
        rcs = RCS_MEAN_DBSM[world.classes[owner]]
        r, az, el = _spherical(view.to_sensor(scatter).reshape(-1, 3))
        keep = self._in_field(r, az, el)

        k = rng.poisson(c.clutter_per_scan)
        low, high = c.min_range_m, c.max_range_m
        clutter_r = np.sqrt(rng.uniform(low**2, high**2, k))          # uniform over the field's area
        clutter_az = rng.uniform(-0.5, 0.5, k) * np.radians(c.fov_azimuth_deg)
        clutter_el = rng.uniform(-0.25, 0.25, k) * np.radians(c.fov_elevation_deg)
        los_sensor = np.column_stack([np.cos(clutter_el) * np.cos(clutter_az), np.cos(clutter_el) * np.sin(clutter_az), np.sin(clutter_el)])
        clutter_rate = -view.vectors_to_map(los_sensor) @ view.velocity  # static world seen from the moving sensor
        clutter_rcs = CLUTTER_RCS_DBSM[0] + CLUTTER_RCS_DBSM[1] * rng.standard_normal(k)

        r = np.concatenate([r[keep], clutter_r])
        az = np.concatenate([az[keep], clutter_az])
        el = np.concatenate([el[keep], clutter_el])
        rate = np.concatenate([range_rate[keep], clutter_rate])
        rcs = np.concatenate([rcs[keep], clutter_rcs])
        m = len(r)
        noise = rng.standard_normal((m, 5)) * np.array([c.range_std_m, np.radians(c.azimuth_std_deg),
                                                        np.radians(c.elevation_std_deg), c.range_rate_std_mps, c.rcs_std_dbsm])
        order = rng.permutation(m)
        detections = RadarDetections(
            view.stamp_ns, c.frame_id, self.name, range=np.abs(r + noise[:, 0])[order], azimuth=(az + noise[:, 1])[order],
            elevation=(el + noise[:, 2])[order], range_rate=(rate + noise[:, 3])[order], rcs=(rcs + noise[:, 4])[order])
        truth_ids = np.concatenate([world.ids[owner[keep]], np.full(k, -1, dtype=np.int64)])[order]
        return detections, truth_ids
