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

import math

import numpy as np

from fusion.config.vehicle import RadarConfig
from fusion.core.classes import ObjectClass
from fusion.core.compiled import compiled
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
        sigma = max(float(np.hypot(sensor.rcs_std_dbsm, settings.rcs_spread_db)), 1e-9)
        self.rcs_gate = settings.rcs_class_gate * sigma
        self.half_fov = float(np.radians(sensor.fov_azimuth_deg)) / 2
        extent = settings.extent_std_m
        self.return_variances = (sensor.range_std_m**2 + extent**2, float(np.radians(sensor.azimuth_std_deg)) ** 2,
                                 sensor.range_rate_std_mps**2)

    def classify(self, rcs: np.ndarray) -> np.ndarray:
        """The class whose typical RCS is nearest, or unknown when the nearest is further than
        rcs_class_gate sigma (vehicle rcs_std_dbsm and the tracker's rcs_spread_db combined)."""
        return _nearest_class(np.ascontiguousarray(rcs, dtype=float), self.rcs_means, self.rcs_classes, self.rcs_gate,
                              int(ObjectClass.UNKNOWN))

    @property
    def dim(self) -> int:
        return 3

    def detections(self, batch: RadarDetections, pose: SensorPose) -> Detections:
        # a return off the centre sees the relative velocity along a line of sight turned by about
        # extent / range: up to (|sensor velocity| + an object's speed) times that angle
        velocity = pose.velocity
        speed = math.sqrt(float(velocity @ velocity)) + self.settings.object_speed_mps
        columns = batch.range, batch.azimuth, batch.elevation, batch.range_rate
        z, R, points, finite = _returns(*columns, pose.rotation, pose.translation, *self.return_variances,
                                        self.settings.extent_std_m, speed)
        scores, rcs, dropped = np.ones(len(batch)), batch.rcs, {}
        if not (finite and self.settings.min_score <= 1.0):   # returns have score 1: some rows are unusable
            keep, dropped = usable_rows(self.settings.min_score, scores, *columns)
            z, R, points, scores, rcs = z[keep], R[keep], points[keep], scores[keep], rcs[keep]
        return Detections(z=z, R=R, classes=self.classify(rcs), scores=scores, points=points, geometry=points, dropped=dropped)

    def _cluster_representatives(self, points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The row of the return nearest its cluster's mean, per cluster of returns linked by steps of
        at most cluster_radius_m, clusters in the order of their first return."""
        return rows[_cluster_representatives(np.ascontiguousarray(points, dtype=float), self.settings.cluster_radius_m**2)]

    def _polar(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray,
               derivatives: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """z (..., 3) of states (..., d) and, when asked, dz/d position and dz/d velocity (N, 3, 3)."""
        position, velocity = motion.position_velocity(x)
        shape = position.shape
        sizes = sizes if sizes.shape == shape else np.broadcast_to(sizes, shape)   # sigma points share a size
        z, by_position, by_velocity = _polar_measurement(
            _flat(position), _flat(velocity), _flat(x[..., motion.yaw_index, None])[:, 0], _flat(sizes), pose.rotation, pose.translation,
            pose.velocity, derivatives)
        return z.reshape(shape), by_position, by_velocity

    def predict(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        return self._polar(motion, x, pose, sizes, False)[0]

    def jacobian(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        """The surface offset is taken as locally constant (its derivatives are left out)."""
        return self.predict_with_jacobian(motion, x, pose, sizes)[1]

    def predict_with_jacobian(self, motion: MotionModel, x: np.ndarray, pose: SensorPose,
                              sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z, by_position, by_velocity = self._polar(motion, x, pose, sizes, True)
        jp, jv = motion.position_velocity_jacobian(x)
        return z, by_position @ jp + by_velocity @ jv

    def visible(self, motion: MotionModel, x: np.ndarray, sizes: np.ndarray, pose: SensorPose) -> np.ndarray:
        return _in_field_of_view(_flat(motion.position_velocity(x)[0]), pose.rotation, pose.translation, self.half_fov,
                                 self.sensor.min_range_m, self.sensor.max_range_m)

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
        vertical_var = self.settings.extent_std_m**2, np.radians(self.sensor.elevation_std_deg) ** 2
        position, cov, yaw, velocity = _track_starts(detections.z[rows], detections.R[rows], pose.rotation, pose.translation,
                                                     pose.velocity, *vertical_var)
        return NewTracks(rows=rows, position=position, position_cov=cov, yaw=yaw, yaw_var=np.full(len(rows), np.pi**2 / 3),
                         velocity=velocity)


@compiled
def _track_starts(z, R, rotation, translation, sensor_velocity, extent_var, elevation_var):
    """Position (K, 3) and its covariance (K, 3, 3), heading (K,) and velocity (K, 3) in the tracking
    frame of objects at returns z = range, azimuth, range rate with noise R (see
    RadarPolarModel.new_tracks): the covariance is range along the line of sight, range times azimuth
    across it, extent and range times elevation noise vertically."""
    k = len(z)
    position, cov, velocity = np.empty((k, 3)), np.empty((k, 3, 3)), np.empty((k, 3))
    yaw = np.empty(k)
    local = np.zeros((3, 3))
    for i in range(k):
        rng, az, rate = z[i, 0], z[i, 1], z[i, 2]
        along = (np.cos(az), np.sin(az), 0.0)
        across = (-np.sin(az), np.cos(az), 0.0)
        for a in range(3):
            for b in range(3):
                local[a, b] = R[i, 0, 0] * along[a] * along[b] + rng**2 * R[i, 1, 1] * across[a] * across[b]
        local[2, 2] += extent_var + rng**2 * elevation_var
        for a in range(3):
            direction = rotation[a, 0] * along[0] + rotation[a, 1] * along[1]
            position[i, a] = rng * direction + translation[a]
            velocity[i, a] = sensor_velocity[a] + rate * direction
        yaw[i] = np.arctan2(rotation[1, 0] * along[0] + rotation[1, 1] * along[1],
                            rotation[0, 0] * along[0] + rotation[0, 1] * along[1])
        cov[i] = rotation @ local @ rotation.T
    return position, cov, yaw, velocity


@compiled
def _polar_measurement(position, velocity, yaw, sizes, rotation, translation, sensor_velocity, derivatives):
    """Range, azimuth and range rate of N boxes (centre, velocity, yaw, size) seen from the sensor;
    with `derivatives`, their partial derivatives by position and by velocity (N, 3, 3). The range is
    to where the line of sight enters the box footprint, min(l/2 / |cos a|, w/2 / |sin a|) before the
    centre (a = the line of sight's angle to the box heading; at most half the range), an offset the
    derivatives hold constant."""
    n = len(position)
    z = np.empty((n, 3))
    by_position = np.zeros((n if derivatives else 0, 3, 3))
    by_velocity = np.zeros((n if derivatives else 0, 3, 3))
    for k in range(n):
        d0 = position[k, 0] - translation[0]
        d1 = position[k, 1] - translation[1]
        d2 = position[k, 2] - translation[2]
        l0 = d0 * rotation[0, 0] + d1 * rotation[1, 0] + d2 * rotation[2, 0]
        l1 = d0 * rotation[0, 1] + d1 * rotation[1, 1] + d2 * rotation[2, 1]
        rng = max(np.sqrt(d0 * d0 + d1 * d1 + d2 * d2), 1e-6)
        r0 = velocity[k, 0] - sensor_velocity[0]
        r1 = velocity[k, 1] - sensor_velocity[1]
        r2 = velocity[k, 2] - sensor_velocity[2]
        angle = np.arctan2(d1, d0) - yaw[k]
        along = 0.5 * sizes[k, 0] / max(abs(np.cos(angle)), 1e-9)
        across = 0.5 * sizes[k, 1] / max(abs(np.sin(angle)), 1e-9)
        rate = (d0 * r0 + d1 * r1 + d2 * r2) / rng
        z[k, 0] = rng - min(along, across, 0.5 * rng)
        z[k, 1] = np.arctan2(l1, l0)
        z[k, 2] = rate
        if derivatives:
            u = (d0 / rng, d1 / rng, d2 / rng)
            relative = (r0, r1, r2)
            planar2 = max(l0 * l0 + l1 * l1, 1e-12)
            for j in range(3):
                by_position[k, 0, j] = u[j]
                by_position[k, 1, j] = (l0 * rotation[j, 1] - l1 * rotation[j, 0]) / planar2
                by_position[k, 2, j] = (relative[j] - rate * u[j]) / rng
                by_velocity[k, 2, j] = u[j]
    return z, by_position, by_velocity


def _flat(a: np.ndarray) -> np.ndarray:
    """Rows (..., k) as one contiguous float array (N, k), for the kernels."""
    return np.ascontiguousarray(a, dtype=float).reshape(-1, a.shape[-1])


@compiled
def _nearest_class(rcs, means, classes, gate, unknown):
    """Per return, the class of the nearest typical RCS if within `gate` dB of it, else `unknown`."""
    out = np.full(len(rcs), unknown, dtype=np.int64)
    for k in range(len(rcs)):
        best, gap = -1, np.inf
        for c in range(len(means)):
            if abs(rcs[k] - means[c]) < gap:
                best, gap = c, abs(rcs[k] - means[c])
        if best >= 0 and gap <= gate:
            out[k] = classes[best]
    return out


@compiled
def _in_field_of_view(position, rotation, translation, half_fov, min_range, max_range):
    """Points (N, 3) within the sensor's azimuth field of view and range limits."""
    inside = np.empty(len(position), dtype=np.bool_)
    for k in range(len(position)):
        d0, d1, d2 = position[k, 0] - translation[0], position[k, 1] - translation[1], position[k, 2] - translation[2]
        l0 = d0 * rotation[0, 0] + d1 * rotation[1, 0] + d2 * rotation[2, 0]
        l1 = d0 * rotation[0, 1] + d1 * rotation[1, 1] + d2 * rotation[2, 1]
        rng = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
        inside[k] = abs(np.arctan2(l1, l0)) <= half_fov and min_range <= rng <= max_range
    return inside


@compiled
def _returns(rng, azimuth, elevation, range_rate, rotation, translation, range_var, azimuth_var, rate_var, extent, speed):
    """z = range, azimuth, range rate (n, 3), its noise R (n, 3, 3) (see RadarPolarModel.detections),
    the returns' ground-plane positions in the tracking frame (n, 2), and whether every input is finite."""
    n = len(rng)
    z = np.empty((n, 3))
    R = np.zeros((n, 3, 3))
    points = np.empty((n, 2))
    finite = True
    for k in range(n):
        finite = finite and np.isfinite(rng[k]) and np.isfinite(azimuth[k]) and np.isfinite(elevation[k]) \
            and np.isfinite(range_rate[k])
        z[k, 0], z[k, 1], z[k, 2] = rng[k], azimuth[k], range_rate[k]
        far = max(rng[k], 1.0)
        R[k, 0, 0] = range_var
        R[k, 1, 1] = azimuth_var + extent**2 / far**2
        R[k, 2, 2] = rate_var + (speed * extent / far) ** 2
        ce = np.cos(elevation[k])
        local = (rng[k] * ce * np.cos(azimuth[k]), rng[k] * ce * np.sin(azimuth[k]), rng[k] * np.sin(elevation[k]))
        for a in range(2):
            points[k, a] = rotation[a, 0] * local[0] + rotation[a, 1] * local[1] + rotation[a, 2] * local[2] + translation[a]
    return z, R, points, finite


@compiled
def _cluster_representatives(points, radius2):
    """Indices of the representatives (see RadarPolarModel._cluster_representatives) of a scan's few
    unassigned returns: single-linkage clusters by union-find over all pairs, ties to the lower index."""
    n = len(points)
    parent = np.arange(n)
    for i in range(n):
        for j in range(i + 1, n):
            if (points[i, 0] - points[j, 0]) ** 2 + (points[i, 1] - points[j, 1]) ** 2 <= radius2:
                a, b = i, j
                while parent[a] != a:
                    a = parent[a]
                while parent[b] != b:
                    b = parent[b]
                if a != b:
                    parent[max(a, b)] = min(a, b)    # a cluster's root is its first return
    root = np.empty(n, dtype=np.int64)
    for i in range(n):
        r = i
        while parent[r] != r:
            r = parent[r]
        root[i] = r
    centre = np.zeros((n, 2))
    members = np.zeros(n)
    for i in range(n):
        centre[root[i], 0] += points[i, 0]
        centre[root[i], 1] += points[i, 1]
        members[root[i]] += 1.0
    best = np.full(n, -1, dtype=np.int64)
    best_gap = np.full(n, np.inf)
    for i in range(n):
        r = root[i]
        gap = np.sqrt((points[i, 0] - centre[r, 0] / members[r]) ** 2 + (points[i, 1] - centre[r, 1] / members[r]) ** 2)
        if gap < best_gap[r]:
            best_gap[r], best[r] = gap, i
    out = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        if root[i] == i:
            out[count] = best[i]
            count += 1
    return out[:count]


# load at import (fusion.core.compiled)
for _columns in (np.ones((4, 2)), np.ones((2, 4)).T):   # contiguous columns, and a decoded table's strided ones
    _returns(*_columns, np.eye(3), np.zeros(3), 1.0, 1.0, 1.0, 1.0, 1.0)
_cluster_representatives(np.zeros((2, 2)), 1.0)
_nearest_class(np.zeros(1), np.zeros(1), np.zeros(1, dtype=np.int64), 1.0, 0)
_in_field_of_view(np.zeros((1, 3)), np.eye(3), np.zeros(3), 1.0, 0.0, 1.0)
_track_starts(np.ones((1, 3)), np.ones((1, 3, 3)), np.eye(3), np.zeros(3), np.zeros(3), 1.0, 1.0)
_polar_measurement(np.zeros((1, 3)), np.zeros((1, 3)), np.zeros(1), np.ones((1, 3)), np.eye(3), np.zeros(3), np.zeros(3), True)
