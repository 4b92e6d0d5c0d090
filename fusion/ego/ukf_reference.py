"""A filterpy UnscentedKalmanFilter with the same models as the ESKF, as an independent reference.

Total state (15): IMU position and velocity (map), roll/pitch/yaw of base_link, accelerometer and
gyro biases. The UKF needs no Jacobians, so agreement with the ESKF checks the ESKF's linearised
error dynamics and measurement Jacobians. It starts from the ESKF's initial estimate (alignment is
not what it checks), buffers IMU samples and mechanises them through all sigma points at once
when an aiding measurement arrives; then GNSS position (chi-square gated like the ESKF), wheel
speed with the non-holonomic constraint, and zero-velocity / zero-rate updates at standstill.
Only filterpy's sigma-point propagation loop is replaced (by the batched mechanisation).
"""
from __future__ import annotations

import numpy as np
from filterpy.kalman import MerweScaledSigmaPoints, UnscentedKalmanFilter
from scipy.stats import chi2

from fusion.core import quaternion as quat
from fusion.core.measurements import GnssFix, ImuSample
from fusion.core.time import NS_PER_S
from fusion.ego.eskf import ErrorStateFilter, cross, so3_exp
from fusion.ego.estimator import EgoEstimator
from fusion.ego.geodesy import GRAVITY_MPS2
from fusion.ego.wheel_speed import WheelSpeed

ANGLES = slice(6, 9)


def _rotation(x: np.ndarray) -> np.ndarray:
    """R = Rz(yaw) Ry(pitch) Rx(roll) of a state (the measurement functions run per sigma point)."""
    roll, pitch, yaw = x[ANGLES].tolist()
    return so3_exp(np.array([0.0, 0.0, yaw])) @ so3_exp(np.array([0.0, pitch, 0.0])) @ so3_exp(np.array([roll, 0.0, 0.0]))


def _state_mean(sigmas: np.ndarray, weights: np.ndarray) -> np.ndarray:
    x = weights @ sigmas
    x[ANGLES] = np.arctan2(weights @ np.sin(sigmas[:, ANGLES]), weights @ np.cos(sigmas[:, ANGLES]))
    return x


def _state_residual(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a - b
    d[ANGLES] = quat.wrap_angle(d[ANGLES])
    return d


class _BatchedUkf(UnscentedKalmanFilter):
    """filterpy's UKF whose process function maps all sigma points at once."""

    def compute_process_sigmas(self, dt, fx=None, **fx_args):
        sigmas = self.points_fn.sigma_points(self.x, self.P)
        self.sigmas_f = (fx or self.fx)(sigmas, dt, **fx_args)


class UkfEgoReference:
    """Runs beside an EgoEstimator on the same measurements; `start()` once the ESKF is initialised."""

    def __init__(self, estimator: EgoEstimator):
        self.est = estimator
        cfg = estimator.config
        self._gate = float(chi2.ppf(cfg.gnss.gate_probability, 3))
        noise = estimator.process_noise
        self._q_rate = np.concatenate([
            np.full(3, 1e-6),
            np.full(3, noise.accel_noise_density**2), np.full(3, noise.gyro_noise_density**2),
            np.full(3, noise.accel_bias_random_walk**2), np.full(3, noise.gyro_bias_random_walk**2),
        ])
        points = MerweScaledSigmaPoints(15, alpha=0.5, beta=2.0, kappa=0.0, subtract=_state_residual)
        self.ukf = _BatchedUkf(dim_x=15, dim_z=3, dt=0.01, hx=None, fx=self._propagate, points=points,
                               x_mean_fn=_state_mean, residual_x=_state_residual)
        self.earth_rate: np.ndarray | None = None
        self.started = False
        self._t_ns = 0
        self._imu: list[tuple[float, np.ndarray, np.ndarray]] = []
        self._last_imu: tuple[int, np.ndarray, np.ndarray] | None = None
        self._last_wheel_ns = -(2**62)
        self._last_zupt_ns = -(2**62)
        self.rejected = 0

    # ------------------------------------------------------------------ state
    def start(self, eskf: ErrorStateFilter, stamp_ns: int) -> None:
        """Begin from an ESKF estimate (its attitude error covariance taken as the Euler angles')."""
        self.ukf.x = np.concatenate([eskf.p, eskf.v, quat.to_rpy(quat.from_matrix(eskf.R)), eskf.ba, eskf.bg])
        self.ukf.P = eskf.P.copy()
        self.earth_rate = eskf.earth_rate
        self._t_ns = stamp_ns
        self.started = True

    @property
    def position(self) -> np.ndarray:
        """base_link position in the map frame."""
        return self.ukf.x[0:3] + _rotation(self.ukf.x) @ self.est.base_lever

    @property
    def yaw(self) -> float:
        return float(self.ukf.x[8])

    # ------------------------------------------------------------------ models
    def _propagate(self, sigmas: np.ndarray, dt: float, imu: list) -> np.ndarray:
        p, v = sigmas[:, 0:3].copy(), sigmas[:, 3:6].copy()
        q = quat.from_rpy(sigmas[:, 6], sigmas[:, 7], sigmas[:, 8])
        ba, bg = sigmas[:, 9:12], sigmas[:, 12:15]
        gravity = np.array([0.0, 0.0, -GRAVITY_MPS2])
        for step, gyro, accel in imu:
            w = gyro - bg
            a = quat.rotate(q, accel - ba) + gravity
            if self.earth_rate is not None:
                w = w - quat.rotate(quat.conjugate(q), np.broadcast_to(self.earth_rate, w.shape))
                a = a - 2.0 * np.cross(self.earth_rate, v)
            p += v * step + 0.5 * step * step * a
            v += a * step
            q = quat.multiply(q, quat.from_rotvec(w * step))
        return np.column_stack([p, v, quat.to_rpy(q), ba, bg])

    def _antenna(self, x: np.ndarray) -> np.ndarray:
        return x[0:3] + _rotation(x) @ self.est.gnss_lever

    def _base_velocity_body(self, x: np.ndarray, gyro: np.ndarray, rows: list[int]) -> np.ndarray:
        R = _rotation(x)
        w = gyro - x[12:15]
        if self.earth_rate is not None:
            w = w - R.T @ self.earth_rate
        return (R.T @ x[3:6] + cross(w, self.est.base_lever))[rows]

    def _gyro_at_rest(self, x: np.ndarray) -> np.ndarray:
        if self.earth_rate is None:
            return x[12:15].copy()
        return x[12:15] + _rotation(x).T @ self.earth_rate

    # ------------------------------------------------------------------ filtering
    def predict_to(self, stamp_ns: int) -> None:
        """Mechanise the buffered IMU intervals, plus the held reading up to a later stamp
        (call it before reading `position` / `yaw` at a stamp)."""
        since = max(self._last_imu[0], self._t_ns)
        if stamp_ns > since:
            self._imu.append(((stamp_ns - since) / NS_PER_S, self._last_imu[1], self._last_imu[2]))
        self._t_ns = max(since, stamp_ns)
        if not self._imu:
            return
        dt = sum(step for step, _, _ in self._imu)
        self.ukf.Q = np.diag(self._q_rate * dt)
        self.ukf.predict(dt=dt, imu=self._imu)
        self._imu = []

    def _update(self, z: np.ndarray, noise: np.ndarray, hx, gate: float | None = None, **hx_args) -> bool:
        x, P = self.ukf.x.copy(), self.ukf.P.copy()
        self.ukf.update(z, R=noise, hx=hx, **hx_args)
        if gate is not None and self.ukf.mahalanobis**2 > gate:
            self.ukf.x, self.ukf.P = x, P
            self.rejected += 1
            return False
        self.ukf.P = 0.5 * (self.ukf.P + self.ukf.P.T)
        self.ukf.sigmas_f = self.ukf.points_fn.sigma_points(self.ukf.x, self.ukf.P)
        return True

    def process(self, m: object) -> None:
        """Consume the same stream the ESKF gets (before start(), only the IMU is remembered)."""
        if isinstance(m, ImuSample):
            gyro = self.est.imu_rotation @ m.angular_velocity
            accel = self.est.imu_rotation @ m.linear_acceleration
            if self.started and self._last_imu is not None and m.stamp_ns > self._t_ns:
                since = max(self._last_imu[0], self._t_ns)
                self._imu.append(((m.stamp_ns - since) / NS_PER_S, 0.5 * (gyro + self._last_imu[1]),
                                  0.5 * (accel + self._last_imu[2])))
            if self._last_imu is None or m.stamp_ns > self._last_imu[0]:
                self._last_imu = (m.stamp_ns, gyro, accel)
            return
        if not self.started or self._last_imu is None:
            return
        cfg = self.est.config
        if isinstance(m, GnssFix) and m.has_fix and self.est.origin is not None:
            self.predict_to(m.stamp_ns)
            z = self.est.origin.to_enu(m.latitude_deg, m.longitude_deg, m.altitude_m)
            self._update(z, self.est.fix_covariance(m), self._antenna, self._gate)
        elif isinstance(m, WheelSpeed) and cfg.wheel.enabled:
            gyro = self._last_imu[1]
            if abs(m.speed_mps) <= cfg.wheel.standstill_mps:
                if cfg.zupt.enabled and m.stamp_ns - self._last_zupt_ns >= NS_PER_S / cfg.zupt.rate_hz:
                    self.predict_to(m.stamp_ns)
                    self._last_zupt_ns = m.stamp_ns
                    self._update(np.zeros(3), np.eye(3) * cfg.zupt.velocity_std_mps**2, lambda x: x[3:6].copy())
                    rate_var = self.est.imu_config.gyro_noise_density**2 * self.est.imu_config.rate_hz
                    self._update(gyro, np.eye(3) * rate_var, self._gyro_at_rest)
                return
            if m.stamp_ns - self._last_wheel_ns < NS_PER_S / cfg.wheel.max_rate_hz:
                return
            self._last_wheel_ns = m.stamp_ns
            self.predict_to(m.stamp_ns)
            std = float(np.hypot(m.std_mps or cfg.wheel.default_std_mps, cfg.wheel.scale_std * m.speed_mps))
            rows = [0, 1, 2] if cfg.nhc.enabled else [0]
            z = np.array([m.speed_mps, 0.0, 0.0])[rows]
            noise = np.diag(np.array([std, cfg.nhc.lateral_std_mps, cfg.nhc.vertical_std_mps])[rows] ** 2)
            self._update(z, noise, self._base_velocity_body, gyro=gyro, rows=rows)
