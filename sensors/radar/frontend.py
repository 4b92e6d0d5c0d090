"""The radar front-end: one scan in; ego velocity, compensated Doppler, static/moving returns and
moving objects out."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
from pydantic import Field

from fusion.config.loader import StrictModel
from fusion.core.measurements import RadarDetections
from sensors.radar.doppler import compensate
from sensors.radar.ego_velocity import SensorVelocity, estimate_sensor_velocity
from sensors.radar.objects import RadarObjects, cluster_objects

Positive = Annotated[float, Field(gt=0.0)]


class RadarFrontEndConfig(StrictModel):
    inlier_threshold_mps: Positive = 0.2       # a static return fits the ego velocity this well
    ransac_iterations: Annotated[int, Field(ge=10)] = 100
    moving_threshold_mps: Positive = 0.5       # compensated |v_r| above this: the return moves
    cluster_eps_m: Positive = 1.5
    cluster_velocity_gate_mps: Positive = 1.0
    min_cluster_points: Annotated[int, Field(ge=1)] = 2


@dataclass
class RadarScanResult:
    """detections; the sensor velocity used (estimated from the scan, or given); compensated radial
    velocity (N,) and moving mask (N,) (all False when no ego velocity was available); objects."""

    detections: RadarDetections
    sensor_velocity: SensorVelocity
    compensated: np.ndarray
    moving: np.ndarray
    objects: RadarObjects
    timings_ms: dict[str, float] = field(default_factory=dict)


class RadarFrontEnd:
    def __init__(self, config: RadarFrontEndConfig | None = None):
        self.config = config or RadarFrontEndConfig()

    def process(self, detections: RadarDetections, sensor_velocity: SensorVelocity | None = None) -> RadarScanResult:
        """Compensate and cluster one scan. sensor_velocity (e.g. from the ego estimator via
        doppler.sensor_velocity_from_ego) is used when given and valid; otherwise it is estimated
        from the scan's static returns. Without any valid ego velocity nothing is marked moving
        (the reason is in result.sensor_velocity.reason)."""
        c = self.config
        start = time.perf_counter()
        if sensor_velocity is None or not sensor_velocity.valid:
            sensor_velocity = estimate_sensor_velocity(detections, c.inlier_threshold_mps, c.ransac_iterations)
        ego_ms = (time.perf_counter() - start) * 1e3
        if sensor_velocity.valid:
            compensated = compensate(detections, sensor_velocity.velocity)
            moving = np.abs(compensated) > c.moving_threshold_mps
        else:
            compensated = detections.range_rate.copy()
            moving = np.zeros(len(detections), dtype=bool)
        objects = cluster_objects(detections, compensated, moving, c.cluster_eps_m, c.cluster_velocity_gate_mps,
                                  c.min_cluster_points)
        timings = {"ego_velocity": ego_ms, "compensate_cluster": (time.perf_counter() - start) * 1e3 - ego_ms}
        return RadarScanResult(detections, sensor_velocity, compensated, moving, objects, timings)
