"""The error-state Kalman filter core: IMU mechanisation and the measurement models, as maths only.

Nominal state: position p and velocity v of the IMU point in the map frame (ENU), attitude R of
base_link in the map frame, accelerometer bias ba and gyro bias bg (base_link axes; the IMU's
mounting rotation is applied before the readings get here). Error state (15): dp, dv, dtheta
(a rotation in base_link axes, R_true = R Exp(dtheta)), dba, dbg.

The map frame is local-level and Earth-fixed; with an Earth rate given, the gyro's sensing of the
Earth's rotation and the Coriolis acceleration are removed in the mechanisation.

Everything here runs per IMU sample, so it works on small fixed-size arrays with closed forms
(Rodrigues) instead of constructing rotation objects.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fusion.core.compiled import compiled
from fusion.ego.geodesy import GRAVITY_MPS2

P, V, TH, BA, BG = slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 12), slice(12, 15)
N = 15
I3 = np.eye(3)


@compiled
def skew(v: np.ndarray) -> np.ndarray:
    """[v]x, so that skew(a) @ b == cross(a, b)."""
    x, y, z = v[0], v[1], v[2]
    return np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])


@compiled
def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x b for two 3-vectors (np.cross costs ten times more on vectors this small)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


@compiled
def so3_exp(phi: np.ndarray) -> np.ndarray:
    """Rotation matrix of a rotation vector (Rodrigues: I + s [phi]x + c [phi]x^2), with the
    series near zero."""
    x, y, z = phi[0], phi[1], phi[2]
    angle2 = x * x + y * y + z * z
    if angle2 < 1e-12:
        s, c = 1.0 - angle2 / 6.0, 0.5 - angle2 / 24.0
    else:
        angle = math.sqrt(angle2)
        s, c = math.sin(angle) / angle, (1.0 - math.cos(angle)) / angle2
    return np.array([
        [1.0 - c * (y * y + z * z), c * x * y - s * z, c * x * z + s * y],
        [c * x * y + s * z, 1.0 - c * (x * x + z * z), c * y * z - s * x],
        [c * x * z - s * y, c * y * z + s * x, 1.0 - c * (x * x + y * y)],
    ])


@compiled
def _angular_rate(gyro, bg, R, earth_rate):
    """Body rate relative to the map frame (see ErrorStateFilter.angular_rate); earth_rate is the
    Earth's rotation in map axes, or empty when the mechanisation leaves it out."""
    w = gyro - bg
    if earth_rate.size:
        w = w - R.T @ earth_rate
    return w


@compiled
def _mechanise(p, v, R, gyro, accel, gyro_end, accel_end, bg, ba, earth_body, gravity_coriolis, block_f, dt):
    """One IMU interval (see ErrorStateFilter.predict): p, v, R moved on, and the block's integral of
    the specific force."""
    w = (0.5 * (gyro + gyro_end) - bg - earth_body) * dt
    f = 0.5 * (accel + accel_end) - ba
    a = R @ f + gravity_coriolis
    return p + v * dt + (0.5 * dt * dt) * a, v + a * dt, R @ so3_exp(w), block_f + f * dt


@compiled
def _fill_transition(F, R0, rf, rotation_step, dt):
    """The entries of the block transition F that change from block to block (see
    ErrorStateFilter._propagated); the rest of F stays the identity."""
    half_dt2 = -0.5 * dt * dt
    for i in range(3):
        F[i, 3 + i] = dt
        F[6 + i, 12 + i] = -dt
        for j in range(3):
            F[i, 6 + j] = rf[i, j] * half_dt2
            F[i, 9 + j] = R0[i, j] * half_dt2
            F[3 + i, 6 + j] = rf[i, j] * -dt
            F[3 + i, 9 + j] = R0[i, j] * -dt
            F[6 + i, 6 + j] = rotation_step[i, j]


@compiled
def _noise_added_symmetric(cov, qc, dt):
    """0.5 (C + C^T) of C = cov + diag(qc dt), as a new array (cov's diagonal is changed in place)."""
    n = cov.shape[0]
    for i in range(n):
        cov[i, i] += qc[i] * dt
    out = np.empty_like(cov)
    for i in range(n):
        for j in range(n):
            out[i, j] = 0.5 * (cov[i, j] + cov[j, i])
    return out


@compiled
def matrix_to_quaternion(r: np.ndarray) -> np.ndarray:
    """Unit quaternion (x, y, z, w; w >= 0) of one rotation matrix, from its largest component
    (Shepperd). The estimator reports a pose per IMU sample; for one matrix this scalar form costs
    a microsecond where the vectorised fusion.core.quaternion.from_matrix (and scipy) cost around
    a hundred."""
    m00, m01, m02 = r[0, 0], r[0, 1], r[0, 2]
    m10, m11, m12 = r[1, 0], r[1, 1], r[1, 2]
    m20, m21, m22 = r[2, 0], r[2, 1], r[2, 2]
    trace = m00 + m11 + m22
    if trace > max(m00, m11, m22):
        s = 2.0 * math.sqrt(1.0 + trace)
        x, y, z, w = (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, 0.25 * s
    elif m00 >= m11 and m00 >= m22:
        s = 2.0 * math.sqrt(1.0 + m00 - m11 - m22)
        x, y, z, w = 0.25 * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s
    elif m11 >= m22:
        s = 2.0 * math.sqrt(1.0 + m11 - m00 - m22)
        x, y, z, w = (m01 + m10) / s, 0.25 * s, (m12 + m21) / s, (m02 - m20) / s
    else:
        s = 2.0 * math.sqrt(1.0 + m22 - m00 - m11)
        x, y, z, w = (m02 + m20) / s, (m12 + m21) / s, 0.25 * s, (m10 - m01) / s
    norm = math.sqrt(x * x + y * y + z * z + w * w)
    if w < 0.0:
        norm = -norm
    return np.array([x / norm, y / norm, z / norm, w / norm])


@compiled
def _propagated(F, P, R0, R, block_f, qc, dt):
    """P carried over one block of dt seconds (see ErrorStateFilter._propagated), F refilled in place."""
    # The attitude block is the transpose of the block's rotation.
    _fill_transition(F, R0, R0 @ skew(block_f / dt), R.T @ R0, dt)
    return _noise_added_symmetric(F @ P @ F.T, qc, dt)


@compiled
def _update(P, H, noise, residual, gate):
    """The Kalman update's (distance^2, covariance, error estimate), the last two only computed when
    distance^2 <= gate (else P and an empty vector); distance^2 is NaN when they are not finite.
    Raises LinAlgError for a singular or non-finite innovation covariance."""
    PHt = P @ H.T
    S = H @ PHt + noise
    S_inv = np.linalg.solve(S, np.eye(S.shape[0]))   # as np.linalg.inv computes it (LAPACK gesv)
    d2 = residual @ S_inv @ residual
    if not d2 <= gate:
        return d2, P, np.zeros(0)
    K = PHt @ S_inv
    cov = P - K @ PHt.T
    cov = 0.5 * (cov + cov.T)
    dx = K @ residual
    if not (np.isfinite(dx).all() and np.isfinite(cov).all()):
        return np.nan, P, np.zeros(0)
    return d2, cov, dx


@compiled
def _point_odometry(p, v, R, cov, gyro, bg, earth_rate, lever, lever_skew, pose_jacobian, twist_jacobian, rate_noise):
    """Pose and twist of the point `lever` (base_link axes; its skew matrix too) away from the IMU,
    with their covariances (nav_msgs/Odometry order and axes): (position, quaternion, pose
    covariance, body velocity, body rate, twist covariance), the rate from the gyro reading as
    _angular_rate computes it. The Jacobians (6 x N, constant entries filled by the caller) get
    their attitude-dependent blocks here; rate_noise is the covariance of the reported rate."""
    omega = _angular_rate(gyro, bg, R, earth_rate)
    imu_velocity_body = R.T @ v
    # Pose: position error dp - R [l]x dtheta; attitude error in map axes R dtheta.
    pose_jacobian[0:3, 6:9] = -R @ lever_skew
    pose_jacobian[3:6, 6:9] = R
    twist_jacobian[0:3, 3:6] = R.T
    twist_jacobian[0:3, 6:9] = skew(imu_velocity_body)
    twist_cov = twist_jacobian @ cov @ twist_jacobian.T
    twist_cov[3:6, 3:6] += rate_noise
    return (p + R @ lever, matrix_to_quaternion(R), pose_jacobian @ cov @ pose_jacobian.T,
            imu_velocity_body + cross(omega, lever), omega, twist_cov)


@compiled
def _body_velocity(v, R, gyro, bg, earth_rate, lever):
    """ErrorStateFilter.body_velocity in one call."""
    v_body = R.T @ v
    H = np.zeros((3, N))
    H[:, 3:6] = R.T
    H[:, 6:9] = skew(v_body)
    H[:, 12:15] = skew(lever)
    return v_body + cross(_angular_rate(gyro, bg, R, earth_rate), lever), H


@compiled
def _injected(p, v, R, ba, bg, dx):
    """The nominal state with an error estimate folded in (see ErrorStateFilter.inject)."""
    return p + dx[0:3], v + dx[3:6], R @ so3_exp(dx[6:9]), ba + dx[9:12], bg + dx[12:15]


_vector, _matrix, _cov = np.zeros(3), np.eye(3), np.eye(N)
# Load the kernels at import (fusion.core.compiled).
_mechanise(_vector, _vector, _matrix, *[_vector] * 9, 0.01)
_propagated(np.eye(N), _cov, _matrix, _matrix, _vector, np.zeros(N), 0.01)
_update(_cov, np.eye(3, N), _matrix, _vector, 1.0)
for _earth in (_vector, np.zeros(0)):
    _angular_rate(_vector, _vector, _matrix, _earth)
    _point_odometry(_vector, _vector, _matrix, _cov, _vector, _vector, _earth, _vector, _matrix, np.zeros((6, N)),
                    np.zeros((6, N)), _matrix)
    _body_velocity(_vector, _matrix, _vector, _vector, _earth, _vector)
_injected(_vector, _vector, _matrix, _vector, _vector, np.zeros(N))
so3_exp(_vector)
skew(_vector)
cross(_vector, _vector)
matrix_to_quaternion(_matrix)


def orthonormalize(r: np.ndarray) -> np.ndarray:
    """The nearest rotation matrix (removes the drift of many small multiplications)."""
    u, _, vt = np.linalg.svd(r)
    return u @ vt


@dataclass(frozen=True)
class ProcessNoise:
    """Continuous-time noise densities of the IMU (white noise and bias random walks)."""

    gyro_noise_density: float          # rad/s/sqrt(Hz)
    accel_noise_density: float         # m/s^2/sqrt(Hz)
    gyro_bias_random_walk: float       # rad/s/sqrt(s)
    accel_bias_random_walk: float      # m/s^2/sqrt(s)

    def spectral_density(self) -> np.ndarray:
        """Diagonal of Qc (15,): no noise on position, IMU white noise on velocity and attitude."""
        return np.concatenate([
            np.zeros(3),
            np.full(3, self.accel_noise_density**2),
            np.full(3, self.gyro_noise_density**2),
            np.full(3, self.accel_bias_random_walk**2),
            np.full(3, self.gyro_bias_random_walk**2),
        ])


class ErrorStateFilter:
    """Nominal state, 15x15 error covariance, prediction with IMU readings and generic correction."""

    def __init__(self, noise: ProcessNoise, earth_rate_enu: np.ndarray | None = None, covariance_period_s: float = 0.05):
        self.p = np.zeros(3)
        self.v = np.zeros(3)
        self.R = np.eye(3)
        self.ba = np.zeros(3)
        self.bg = np.zeros(3)
        self.P = np.eye(N)
        self.gravity = np.array([0.0, 0.0, -GRAVITY_MPS2])
        self.earth_rate = None if earth_rate_enu is None else np.asarray(earth_rate_enu, dtype=float)
        self._earth_rate = np.zeros(0) if self.earth_rate is None else self.earth_rate   # for the kernels
        self._qc = noise.spectral_density()
        self._F = np.eye(N)   # the block transition, refilled in place (_fill_transition)
        self._steps = 0
        self.covariance_period_s = covariance_period_s
        self._block_dt = 0.0
        self._block_f = np.zeros(3)
        self._start_block()

    # ---------------------------------------------------------------- prediction
    def angular_rate(self, gyro: np.ndarray) -> np.ndarray:
        """Body rate relative to the map frame from a gyro reading (base_link axes)."""
        return _angular_rate(gyro, self.bg, self.R, self._earth_rate)

    def point_odometry(self, gyro: np.ndarray, lever: np.ndarray, lever_skew: np.ndarray, pose_jacobian: np.ndarray,
                       twist_jacobian: np.ndarray, rate_noise: np.ndarray) -> tuple[np.ndarray, ...]:
        """Pose and twist of the point `lever` away from the IMU with their covariances, given the
        latest gyro reading (see _point_odometry)."""
        return _point_odometry(self.p, self.v, self.R, self.covariance(), gyro, self.bg, self._earth_rate, lever,
                               lever_skew, pose_jacobian, twist_jacobian, rate_noise)

    def predict(self, dt: float, gyro: np.ndarray, accel: np.ndarray,
                gyro_end: np.ndarray | None = None, accel_end: np.ndarray | None = None) -> None:
        """Mechanise one interval of dt seconds with gyro [rad/s] and specific force [m/s^2]
        readings in base_link axes: constant over the interval, or, given the readings at its end
        too, the means of both ends. The covariance follows in blocks of covariance_period_s (the
        error dynamics barely change within one); corrections flush it."""
        if self._block_dt == 0.0:
            self._start_block()
        self.p, self.v, self.R, self._block_f = _mechanise(
            self.p, self.v, self.R, gyro, accel, gyro if gyro_end is None else gyro_end,
            accel if accel_end is None else accel_end, self.bg, self.ba, self._earth_body, self._gravity_coriolis,
            self._block_f, dt)
        self._block_dt += dt
        if self._block_dt >= self.covariance_period_s:
            self.propagate_covariance()
        self._steps += 1
        if self._steps % 1000 == 0:
            self.R = orthonormalize(self.R)

    def _start_block(self) -> None:
        """Quantities that change too slowly to recompute per sample: the attitude the block's
        covariance transition is linearised at, the Earth rate in body axes, gravity + Coriolis."""
        self._block_R = self.R
        if self.earth_rate is None:
            self._earth_body = np.zeros(3)
            self._gravity_coriolis = self.gravity
        else:
            self._earth_body = self.R.T @ self.earth_rate
            self._gravity_coriolis = self.gravity - 2.0 * cross(self.earth_rate, self.v)

    def covariance(self) -> np.ndarray:
        """P brought up to the nominal state, leaving the pending block open: what outputs and checks
        read, so that reading the filter never changes it."""
        return self._propagated() if self._block_dt != 0.0 else self.P

    def propagate_covariance(self) -> None:
        """Close the pending block: P brought up to the nominal state (before a correction or coast)."""
        if self._block_dt == 0.0:
            return
        self.P = self._propagated()
        self._block_dt = 0.0
        self._block_f = np.zeros(3)

    def _propagated(self) -> np.ndarray:
        """One transition over the pending block, linearised at its mean specific force and its start
        attitude."""
        return _propagated(self._F, self.P, self._block_R, self.R, self._block_f, self._qc, self._block_dt)

    def coast(self, dt: float, accel_std: float, yaw_rate_std: float) -> None:
        """Propagate without IMU data (a gap): constant velocity and attitude, with the
        covariance grown by an assumed unknown acceleration and turn rate."""
        self.propagate_covariance()
        self.p = self.p + self.v * dt
        F = np.eye(N)
        F[0, 3] = F[1, 4] = F[2, 5] = dt
        cov = F @ self.P @ F.T
        cov[V, V] += I3 * (accel_std**2 * dt)
        cov[TH, TH] += I3 * (yaw_rate_std**2 * dt)
        cov.flat[:: N + 1] += self._qc * dt
        self.P = cov

    # ---------------------------------------------------------------- correction
    def correct(self, residual: np.ndarray, H: np.ndarray, noise: np.ndarray, gate: float | None = None) -> tuple[bool, float]:
        """Kalman update with residual z - h(x); rejected (state untouched) when the squared
        Mahalanobis distance exceeds `gate`. Returns (accepted, distance^2); distance^2 is NaN and
        nothing changes when the update is numerically impossible (singular or non-finite)."""
        self.propagate_covariance()
        try:
            d2, cov, dx = _update(self.P, H, noise, residual, math.inf if gate is None else gate)
        except np.linalg.LinAlgError:
            return False, float("nan")
        if not math.isfinite(d2):
            return False, float("nan")
        if gate is not None and d2 > gate:
            return False, d2
        self.P = cov
        self.inject(dx)
        return True, d2

    def inject(self, dx: np.ndarray) -> None:
        """Fold an error estimate into the nominal state (the covariance reset Jacobian is ~I)."""
        self.p, self.v, self.R, self.ba, self.bg = _injected(self.p, self.v, self.R, self.ba, self.bg, dx)

    # ---------------------------------------------------------------- measurement models
    def point_position(self, lever: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map position of a point `lever` (base_link axes) away from the IMU, and its Jacobian."""
        H = np.zeros((3, N))
        H[:, P] = I3
        H[:, TH] = -self.R @ skew(lever)
        return self.p + self.R @ lever, H

    def point_velocity(self, lever: np.ndarray, gyro: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map velocity of a point `lever` away from the IMU, given the latest gyro reading. (The
        Jacobians of this and body_velocity leave out how the attitude moves the Earth rate in
        body axes: 7e-5 rad/s times the lever arm, far below the velocity noise.)"""
        w_x_l = cross(self.angular_rate(gyro), lever)
        H = np.zeros((3, N))
        H[:, V] = I3
        H[:, TH] = -self.R @ skew(w_x_l)
        H[:, BG] = self.R @ skew(lever)
        return self.v + self.R @ w_x_l, H

    def body_velocity(self, lever: np.ndarray, gyro: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Velocity of a point `lever` away from the IMU in base_link axes (wheel speed, NHC)."""
        return _body_velocity(self.v, self.R, gyro, self.bg, self._earth_rate, lever)

    def gyro_bias_model(self) -> tuple[np.ndarray, np.ndarray]:
        """What a gyro reads at standstill (bias plus Earth rate) and its Jacobian (ZARU)."""
        H = np.zeros((3, N))
        H[:, BG] = I3
        if self.earth_rate is None:
            return self.bg.copy(), H
        earth_body = self.R.T @ self.earth_rate
        H[:, TH] = skew(earth_body)
        return self.bg + earth_body, H

    def is_finite(self) -> bool:
        return bool(np.isfinite(self.p).all() and np.isfinite(self.v).all() and np.isfinite(self.R).all()
                    and np.isfinite(self.ba).all() and np.isfinite(self.bg).all() and np.isfinite(self.P).all())
