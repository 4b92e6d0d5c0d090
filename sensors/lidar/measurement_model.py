"""Lidar 3D box measurement model: z = box centre x, y, z and yaw, in the tracking frame.

Boxes (fusion.core.measurements.Boxes3D, volume centre, in the lidar frame) are moved into the
tracking frame with the lidar pose at their stamp, which makes h(x) linear for every motion model
(a selection of position and yaw). The box size l, w, h is not part of the kinematic state: it is
passed on (`Detections.sizes`) to the tracker's per-dimension size smoother. Noise comes from the
vehicle config's lidar entry: box_center_std_m (isotropic, so rotation leaves it unchanged),
box_yaw_std_deg and box_size_std_m. With `heading_ambiguous` (detectors that confuse front and
back) yaw residuals wrap at pi instead of 2 pi, so a flipped box still updates the track's heading.
"""
from __future__ import annotations

import numpy as np

from fusion.config.vehicle import LidarConfig
from fusion.core.measurements import Boxes3D
from fusion.tracking.config import LidarTracking
from fusion.tracking.measurement import Detections, MeasurementModel, NewTracks, SensorPose, usable_rows
from fusion.tracking.motion import MotionModel


class LidarBoxModel(MeasurementModel):
    kind = "lidar"
    angles = (3,)
    linear = True
    can_initiate = True
    gate_points_are_measured = True

    def __init__(self, name: str, sensor: LidarConfig, settings: LidarTracking):
        super().__init__(name, settings, sensor.box_detection_probability)
        self.sensor = sensor
        self.noise = np.diag([sensor.box_center_std_m**2] * 3 + [np.radians(sensor.box_yaw_std_deg) ** 2])
        self.size_var = sensor.box_size_std_m**2
        if settings.heading_ambiguous:       # the detector may report yaw + pi
            self.wrap_periods[3] = np.pi

    @property
    def dim(self) -> int:
        return 4

    def detections(self, batch: Boxes3D, pose: SensorPose) -> Detections:
        keep, dropped = usable_rows(self.settings.min_score, batch.scores, batch.centers, batch.sizes, batch.yaws)
        centers = pose.transform.apply(batch.centers[keep])
        yaws = pose.yaw_of(batch.yaws[keep])
        sizes = batch.sizes[keep]
        m = len(centers)
        velocity = None
        if batch.velocities is not None:
            velocity = pose.transform.rotate(np.nan_to_num(batch.velocities[keep])) + pose.velocity
        return Detections(
            z=np.column_stack([centers, yaws]),
            R=np.broadcast_to(self.noise, (m, 4, 4)),
            classes=batch.classes[keep], scores=batch.scores[keep],
            points=centers[:, :2],
            geometry=np.column_stack([centers, sizes, yaws]),
            sizes=sizes, size_var=np.full((m, 3), self.size_var),
            velocity=velocity, dropped=dropped,
        )

    def predict(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        position, _ = motion.position_velocity(x)
        return np.concatenate([position, x[..., motion.yaw_index, None]], axis=-1)

    def jacobian(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        jp, _ = motion.position_velocity_jacobian(x)
        H = np.zeros((len(x), 4, motion.dim))
        H[:, 0:3] = jp
        H[:, 3, motion.yaw_index] = 1.0
        return H

    def visible(self, motion: MotionModel, x: np.ndarray, sizes: np.ndarray, pose: SensorPose) -> np.ndarray:
        """In range, and big enough to put box_min_points on the scan: the box's apparent width over
        the horizontal resolution times its height over the channel spacing (no occlusion)."""
        s = self.sensor
        position, _ = motion.position_velocity(x)
        offset = position - pose.translation
        distance = np.maximum(np.linalg.norm(offset, axis=1), 1e-3)
        bearing = np.arctan2(offset[:, 1], offset[:, 0])
        relative = x[:, motion.yaw_index] - bearing
        width = np.abs(sizes[:, 0] * np.sin(relative)) + np.abs(sizes[:, 1] * np.cos(relative))
        columns = width / distance / np.radians(s.horizontal_resolution_deg)
        channel_spacing = np.radians(s.vertical_fov_deg[1] - s.vertical_fov_deg[0]) / max(s.channels - 1, 1)
        rows = np.maximum(sizes[:, 2] / distance / channel_spacing, 1.0)
        return (distance >= s.min_range_m) & (distance <= s.max_range_m) & (columns * rows >= s.box_min_points)

    def track_points(self, motion: MotionModel, x: np.ndarray, pose: SensorPose) -> np.ndarray:
        return motion.position_velocity(x)[0][:, :2]

    def track_geometry(self, motion: MotionModel, x: np.ndarray, sizes: np.ndarray, pose: SensorPose) -> np.ndarray:
        return np.column_stack([motion.position_velocity(x)[0], sizes, x[:, motion.yaw_index]])

    def new_tracks(self, detections: Detections, rows: np.ndarray, pose: SensorPose) -> NewTracks:
        velocity = detections.velocity[rows] if detections.velocity is not None else np.zeros((len(rows), 3))
        return NewTracks(
            rows=rows, position=detections.z[rows, 0:3], position_cov=detections.R[rows, 0:3, 0:3],
            yaw=detections.z[rows, 3], yaw_var=detections.R[rows, 3, 3], velocity=velocity,
        )
