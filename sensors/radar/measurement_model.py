"""Radar polar measurement model: z = range, azimuth, range rate in the radar's own frame.

With the radar at position t and rotation R (T_track_radar at the measurement stamp, from its
mounting pose and, in a world tracking frame, the ego pose), moving with velocity v_s:
    d = p - t,  d_r = R^T d,  range = |d|,  azimuth = atan2(d_r.y, d_r.x),
    range_rate = d . (v - v_s) / |d|      (positive = moving away)
This is nonlinear: EKF (Jacobian below, chained through the motion model's position/velocity map)
or UKF. Noise from the vehicle config's radar entry (range_std_m, azimuth_std_deg,
range_rate_std_mps), plus the tracker's `extent_std_m` for where on the object the return comes
from (added to range, and as cross-range over range to azimuth). Elevation is not used.
"""
from __future__ import annotations

import numpy as np

from fusion.config.vehicle import RadarConfig
from fusion.core.classes import ObjectClass
from fusion.core.measurements import RadarDetections
from fusion.tracking.config import RadarTracking
from fusion.tracking.measurement import Detections, MeasurementModel, NewTracks, SensorPose, usable_rows
from fusion.tracking.motion import MotionModel


class RadarPolarModel(MeasurementModel):
    kind = "radar"
    angles = (1,)
    linear = False
    can_initiate = True

    def __init__(self, name: str, sensor: RadarConfig, settings: RadarTracking):
        super().__init__(name, settings, sensor.detection_probability)
        self.sensor = sensor

    @property
    def dim(self) -> int:
        return 3

    def detections(self, batch: RadarDetections, pose: SensorPose) -> Detections:
        scores = np.ones(len(batch))
        keep, dropped = usable_rows(self.settings.min_score, scores, batch.range, batch.azimuth, batch.elevation,
                                    batch.range_rate)
        rng, az, rr = batch.range[keep], batch.azimuth[keep], batch.range_rate[keep]
        extent2 = self.settings.extent_std_m**2
        R = np.zeros((len(rng), 3, 3))
        R[:, 0, 0] = self.sensor.range_std_m**2 + extent2
        R[:, 1, 1] = np.radians(self.sensor.azimuth_std_deg) ** 2 + extent2 / np.maximum(rng, 1.0) ** 2
        R[:, 2, 2] = self.sensor.range_rate_std_mps**2
        local = batch.to_cartesian()[keep]
        points = pose.transform.apply(local)
        return Detections(
            z=np.column_stack([rng, az, rr]), R=R,
            classes=np.full(len(rng), int(ObjectClass.UNKNOWN)), scores=scores[keep],
            points=points[:, :2], geometry=points[:, :2], dropped=dropped,
        )

    def _geometry(self, motion: MotionModel, x: np.ndarray, pose: SensorPose):
        position, velocity = motion.position_velocity(x)
        d = position - pose.translation
        local = d @ pose.rotation                        # R^T d, row-wise
        rng = np.maximum(np.linalg.norm(d, axis=-1), 1e-6)
        relative = velocity - pose.velocity
        return d, local, rng, relative

    def predict(self, motion: MotionModel, x: np.ndarray, pose: SensorPose) -> np.ndarray:
        d, local, rng, relative = self._geometry(motion, x, pose)
        return np.stack([rng, np.arctan2(local[..., 1], local[..., 0]), np.sum(d * relative, axis=-1) / rng], axis=-1)

    def jacobian(self, motion: MotionModel, x: np.ndarray, pose: SensorPose) -> np.ndarray:
        d, local, rng, relative = self._geometry(motion, x, pose)
        jp, jv = motion.position_velocity_jacobian(x)
        u = d / rng[:, None]
        rate = np.sum(u * relative, axis=-1)
        planar2 = np.maximum(local[:, 0] ** 2 + local[:, 1] ** 2, 1e-12)
        R = pose.rotation
        d_az = (local[:, 0, None] * R[:, 1] - local[:, 1, None] * R[:, 0]) / planar2[:, None]
        by_position = np.stack([u, d_az, (relative - rate[:, None] * u) / rng[:, None]], axis=1)   # (N, 3, 3)
        by_velocity = np.zeros_like(by_position)
        by_velocity[:, 2] = u
        return by_position @ jp + by_velocity @ jv

    def visible(self, motion: MotionModel, x: np.ndarray, sizes: np.ndarray, pose: SensorPose) -> np.ndarray:
        _, local, rng, _ = self._geometry(motion, x, pose)
        azimuth = np.arctan2(local[:, 1], local[:, 0])
        s = self.sensor
        return (np.abs(azimuth) <= np.radians(s.fov_azimuth_deg) / 2) & (rng >= s.min_range_m) & (rng <= s.max_range_m)

    def track_points(self, motion: MotionModel, x: np.ndarray, pose: SensorPose) -> np.ndarray:
        return motion.position_velocity(x)[0][:, :2]

    def track_geometry(self, motion: MotionModel, x: np.ndarray, sizes: np.ndarray, pose: SensorPose) -> np.ndarray:
        return self.track_points(motion, x, pose)

    def new_tracks(self, detections: Detections, rows: np.ndarray, pose: SensorPose) -> NewTracks:
        """Position from the polar measurement (covariance through its Jacobian); velocity: the sensor's
        plus the measured radial part (the tangential part is unknown, left to the prior); heading
        unknown (along the line of sight, with a wide variance)."""
        rng, az, rr = detections.z[rows].T
        local_dir = np.column_stack([np.cos(az), np.sin(az), np.zeros_like(az)])
        across = np.column_stack([-np.sin(az), np.cos(az), np.zeros_like(az)])
        R = detections.R[rows]
        cov_local = (R[:, 0, 0, None, None] * local_dir[:, :, None] * local_dir[:, None, :]
                     + (rng**2 * R[:, 1, 1])[:, None, None] * across[:, :, None] * across[:, None, :])
        cov_local[:, 2, 2] += self.settings.extent_std_m**2 + (rng * np.radians(self.sensor.elevation_std_deg)) ** 2
        rot = pose.rotation
        direction = local_dir @ rot.T
        position = pose.transform.apply(rng[:, None] * local_dir)
        return NewTracks(
            position=position, position_cov=rot @ cov_local @ rot.T,
            yaw=np.arctan2(direction[:, 1], direction[:, 0]), yaw_var=np.full(len(rows), np.pi**2 / 3),
            velocity=pose.velocity + rr[:, None] * direction,
        )
