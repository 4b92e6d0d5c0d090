"""Radar polar measurement model: z = range, azimuth, range rate in the radar's own frame.

With the radar at position t and rotation R (T_track_radar at the measurement stamp, from its
mounting pose and, in a world tracking frame, the ego pose), moving with velocity v_s:
    d = p - t,  d_r = R^T d,  range = |d| - s,  azimuth = atan2(d_r.y, d_r.x),
    range_rate = d . (v - v_s) / |d|      (positive = moving away)
where s is how far before the centre the line of sight enters the track's box (returns come from
the visible surface, not the centre; without it radar pulls every track towards the sensor).
This is nonlinear: EKF (Jacobian below, chained through the motion model's position/velocity map)
or UKF. Noise from the vehicle config's radar entry (range_std_m, azimuth_std_deg,
range_rate_std_mps), plus the tracker's `extent_std_m` for where on the object the return comes
from: added to range, as cross-range over range to azimuth, and to range rate as the relative speed
(sensor speed + `object_speed_mps`) times the line-of-sight angle it spans. Elevation is not used.
Each return is given the class whose typical radar cross-section (`rcs_class_dbsm`) is nearest its
RCS, or unknown when none is near: weak class evidence, and a class gate (a car's strong returns do
not update a pedestrian beside it).
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

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
    several_returns_per_object = True

    def __init__(self, name: str, sensor: RadarConfig, settings: RadarTracking):
        super().__init__(name, settings, sensor.detection_probability)
        self.sensor = sensor
        self.rcs_classes = np.array([int(ObjectClass.parse(name)) for name in settings.rcs_class_dbsm], dtype=np.int64)
        self.rcs_means = np.array(list(settings.rcs_class_dbsm.values()), dtype=float)

    def classify(self, rcs: np.ndarray) -> np.ndarray:
        """The class whose typical RCS is nearest, or unknown when the nearest is further than
        rcs_class_gate sigma (vehicle rcs_std_dbsm and the tracker's rcs_spread_db combined)."""
        if len(self.rcs_means) == 0:
            return np.full(len(rcs), int(ObjectClass.UNKNOWN))
        sigma = np.hypot(self.sensor.rcs_std_dbsm, self.settings.rcs_spread_db)
        distance = np.abs(rcs[:, None] - self.rcs_means[None, :]) / max(sigma, 1e-9)
        best = np.argmin(distance, axis=1)
        close = distance[np.arange(len(rcs)), best] <= self.settings.rcs_class_gate
        return np.where(close, self.rcs_classes[best], int(ObjectClass.UNKNOWN))

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
        # a return off the centre sees the relative velocity along a line of sight turned by about
        # extent / range: up to (|sensor velocity| + an object's speed) times that angle
        speed = np.linalg.norm(pose.velocity) + self.settings.object_speed_mps
        R[:, 2, 2] = self.sensor.range_rate_std_mps**2 + (speed * self.settings.extent_std_m / np.maximum(rng, 1.0)) ** 2
        local = batch.to_cartesian()[keep]
        points = pose.transform.apply(local)
        return Detections(
            z=np.column_stack([rng, az, rr]), R=R,
            classes=self.classify(batch.rcs[keep]), scores=scores[keep],
            points=points[:, :2], geometry=points[:, :2], dropped=dropped,
        )

    def _cluster_representatives(self, points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The row of the return nearest its cluster's mean, per cluster of returns linked by steps of
        at most cluster_radius_m, clusters in the order of their first return. A scan leaves a few
        unassigned returns (3 on average in the simulated drive), so a dense neighbour matrix and
        label propagation beat building a k-d tree and a sparse graph per call."""
        n = len(points)
        near = cdist(points, points, "sqeuclidean") <= self.settings.cluster_radius_m**2
        label = np.arange(n)     # each return points at a lower-or-equal return of its cluster
        while True:
            lowest = np.where(near, label[None, :], n).min(axis=1, initial=n)   # lowest label next to each
            hooked = np.minimum(label, lowest)
            np.minimum.at(hooked, label, lowest)     # and the return a label names takes it too
            while not np.array_equal(jumped := hooked[hooked], hooked):
                hooked = jumped                      # follow the pointers down to the cluster's first return
            if np.array_equal(hooked, label):
                break
            label = hooked
        first_of_cluster = label == np.arange(n)            # a cluster's label is its first return
        label = (np.cumsum(first_of_cluster) - 1)[label]    # 0 .. count-1 in that order
        count = int(np.count_nonzero(first_of_cluster))
        members = np.bincount(label, minlength=count)
        centre = np.column_stack([np.bincount(label, points[:, i], count) for i in range(2)]) / members[:, None]
        gap = np.linalg.norm(points - centre[label], axis=1)
        order = np.lexsort((gap, label))                 # by cluster, nearest to its mean first
        first = order[np.diff(label[order], prepend=-1) != 0]
        return rows[first]

    def _geometry(self, motion: MotionModel, x: np.ndarray, pose: SensorPose):
        position, velocity = motion.position_velocity(x)
        d = position - pose.translation
        local = d @ pose.rotation                        # R^T d, row-wise
        rng = np.maximum(np.linalg.norm(d, axis=-1), 1e-6)
        relative = velocity - pose.velocity
        return d, local, rng, relative

    @staticmethod
    def surface_offset(d: np.ndarray, yaw: np.ndarray, sizes: np.ndarray, rng: np.ndarray) -> np.ndarray:
        """How far before the box centre the line of sight enters the box footprint: min(l/2 / |cos a|,
        w/2 / |sin a|), a = the line of sight's angle to the box heading (at most half the range)."""
        angle = np.arctan2(d[..., 1], d[..., 0]) - yaw
        c, s = np.abs(np.cos(angle)), np.abs(np.sin(angle))
        along = 0.5 * sizes[..., 0] / np.maximum(c, 1e-9)
        across = 0.5 * sizes[..., 1] / np.maximum(s, 1e-9)
        return np.minimum(np.minimum(along, across), 0.5 * rng)

    def predict(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        d, local, rng, relative = self._geometry(motion, x, pose)
        front = rng - self.surface_offset(d, x[..., motion.yaw_index], sizes, rng)
        return np.stack([front, np.arctan2(local[..., 1], local[..., 0]), np.sum(d * relative, axis=-1) / rng], axis=-1)

    def jacobian(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        """The surface offset is taken as locally constant (its derivatives are left out)."""
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
        """One track per cluster of returns closer than cluster_radius_m (an object gives several), from
        the return nearest the cluster's mean. Position from the polar measurement (covariance through
        its Jacobian); velocity: the sensor's plus the measured radial part (the tangential part is
        left to the prior); heading unknown (along the line of sight, with a wide variance)."""
        rows = self._cluster_representatives(detections.points[rows], rows)
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
            rows=rows, position=position, position_cov=rot @ cov_local @ rot.T,
            yaw=np.arctan2(direction[:, 1], direction[:, 0]), yaw_var=np.full(len(rows), np.pi**2 / 3),
            velocity=pose.velocity + rr[:, None] * direction,
        )
