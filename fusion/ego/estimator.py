"""EgoEstimator: the middleware-free ego-state node core.

Feed it ImuSample, GnssFix and WheelSpeed messages in (roughly) stamp order with `process()`;
read `odometry()` / `state()`, and `pose_at(stamp)` / `add_to(tree)` for map -> base_link at
sensor stamps. It aligns itself (roll/pitch and gyro bias from a quiet IMU, heading from the GNSS
track or a configured value), then runs the error-state filter at the IMU rate with GNSS position
(and velocity), wheel speed, the non-holonomic constraint and zero-velocity updates.

Bad input never stops it: unknown frames, duplicated / out-of-order / missing IMU samples,
no-fix messages, GNSS outliers (innovation gate) and fixes too old to use are counted in
`diagnostics` and skipped; a GNSS position jump that the gate keeps rejecting re-initialises the
position; a numerical failure restores the last good state.
"""
from __future__ import annotations

import logging
from collections import deque

import numpy as np
from scipy.stats import chi2

from fusion.config.vehicle import GnssConfig, ImuConfig, VehicleConfig
from fusion.core import quaternion as quat
from fusion.core.errors import ConfigError, InputError, StampOrderError
from fusion.core.measurements import CovarianceType, GnssFix, ImuSample
from fusion.core.time import NS_PER_S
from fusion.core.transform import Transform
from fusion.core.transform_tree import TransformTree
from fusion.ego.config import EgoConfig
from fusion.ego.eskf import (BG, I3, N, P, TH, V, ErrorStateFilter, ProcessNoise, matrix_to_quaternion,
                              skew, so3_exp)
from fusion.ego.geodesy import GRAVITY_MPS2, GeodeticOrigin
from fusion.ego.history import PoseHistory
from fusion.ego.initialisation import GnssHeading, QuietDetector, roll_pitch_from_gravity
from fusion.ego.state import EgoDiagnostics, EgoState, Odometry
from fusion.ego.wheel_speed import WheelSpeed

log = logging.getLogger(__name__)


def _sensor(vehicle: VehicleConfig, name: str, kind: str):
    sensor = vehicle.sensors.get(name)
    if sensor is None or sensor.kind != kind:
        raise ConfigError("ego config", [f"{kind}_sensor: vehicle has no {kind} sensor named {name!r} "
                                         f"(its {kind} sensors: {', '.join(vehicle.sensors_of_kind(kind)) or 'none'})"])
    return sensor


class EgoEstimator:
    """IMU/GNSS/wheel-speed error-state Kalman filter with alignment, gating and pose history."""

    def __init__(self, config: EgoConfig, vehicle: VehicleConfig):
        self.config = config
        self.base_frame = vehicle.vehicle.base_frame
        self.imu_config: ImuConfig = _sensor(vehicle, config.imu_sensor, "imu")
        self.gnss_config: GnssConfig = _sensor(vehicle, config.gnss_sensor, "gnss")
        tree = vehicle.transform_tree()
        t_base_imu = tree.lookup(self.base_frame, self.imu_config.frame_id)
        t_base_gnss = tree.lookup(self.base_frame, self.gnss_config.frame_id)
        self.imu_rotation = t_base_imu.rotation_matrix                      # IMU axes -> base_link axes
        self.gnss_lever = t_base_gnss.translation - t_base_imu.translation  # IMU -> antenna, base_link axes
        self.base_lever = -t_base_imu.translation                           # IMU -> base_link origin
        self._base_lever_skew = skew(self.base_lever)
        # Jacobians of the reported pose and twist in the error state: point_odometry refills only the
        # blocks that depend on the attitude.
        self._pose_jacobian = np.zeros((6, N))
        self._pose_jacobian[0:3, P] = I3
        self._twist_jacobian = np.zeros((6, N))
        self._twist_jacobian[0:3, BG] = self._base_lever_skew
        self._twist_jacobian[3:6, BG] = -I3
        self._imu_rotated = not np.allclose(self.imu_rotation, np.eye(3), atol=1e-12)
        imu, scale = self.imu_config, config.imu.noise_scale
        self.process_noise = ProcessNoise(
            gyro_noise_density=imu.gyro_noise_density * scale,
            accel_noise_density=imu.accel_noise_density * scale,
            gyro_bias_random_walk=imu.gyro_bias_instability * np.sqrt(2.0 / imu.gyro_bias_correlation_s),
            accel_bias_random_walk=imu.accel_bias_instability * np.sqrt(2.0 / imu.accel_bias_correlation_s),
        )
        self._imu_period_s = 1.0 / imu.rate_hz
        self._rate_noise = np.eye(3) * imu.gyro_noise_density**2 * imu.rate_hz   # covariance of one gyro reading
        self._gate3 = float(chi2.ppf(config.gnss.gate_probability, 3))
        self.diagnostics = EgoDiagnostics()
        self.origin: GeodeticOrigin | None = None
        if config.origin.source == "configured":
            o = config.origin
            self.origin = GeodeticOrigin(o.latitude_deg, o.longitude_deg, o.altitude_m)
        self.history = PoseHistory(int(config.history_s * imu.rate_hz) + 1, self.base_lever)
        self._reset()

    # ------------------------------------------------------------------ lifecycle
    def _reset(self) -> None:
        """Back to the uninitialised state: align again from the next IMU samples and fixes."""
        init = self.config.init
        self.filter: ErrorStateFilter | None = None
        self._quiet = QuietDetector(int(round(init.static_window_s * self.imu_config.rate_hz)),
                                    init.quiet_gyro_rad_s, init.quiet_accel_mps2)
        self._heading = GnssHeading(init)
        self._first_imu_ns: int | None = None
        self._alignment: tuple[float, float, np.ndarray, float, float] | None = None
        self._t_ns: int | None = None          # state time
        self._last_imu_ns: int | None = None
        self._gyro = np.zeros(3)               # latest reading, base_link axes
        self._accel = np.zeros(3)
        self._wheel: tuple[int, float] | None = None
        self._wheel_window: deque[tuple[int, float]] = deque()  # before initialisation only
        self._alignment_level = 0
        self._alignment_off_gravity = np.inf   # | |mean specific force| - g | of the held alignment window
        self._last_nhc_ns = self._last_wheel_ns = self._last_zupt_ns = -(2**62)
        self._rejections_in_row = 0
        self._good: tuple | None = None
        self.history.clear()

    @property
    def initialised(self) -> bool:
        return self.filter is not None

    @property
    def stamp_ns(self) -> int | None:
        """Time of the current estimate."""
        return self._t_ns if self.initialised else None

    @staticmethod
    def _position_std(cov: np.ndarray) -> float:
        return float(np.sqrt(max(cov[0, 0], cov[1, 1])))

    def _heading_std(self, cov: np.ndarray) -> float:
        attitude_map = self.filter.R @ cov[TH, TH] @ self.filter.R.T
        return float(np.degrees(np.sqrt(max(attitude_map[2, 2], 0.0))))

    @property
    def converged(self) -> bool:
        if self.filter is None:
            return False
        c = self.config.convergence
        cov = self.filter.covariance()
        return self._position_std(cov) <= c.position_std_m and self._heading_std(cov) <= c.heading_std_deg

    # ------------------------------------------------------------------ input
    def process(self, measurement: object) -> None:
        """Consume one measurement; problems are recorded in `diagnostics`, never raised."""
        try:
            if isinstance(measurement, ImuSample):
                self._on_imu(measurement)
            elif isinstance(measurement, GnssFix):
                self._on_gnss(measurement)
            elif isinstance(measurement, WheelSpeed):
                self._on_wheel(measurement)
            else:
                self._unknown(getattr(measurement, "stamp_ns", 0), f"unsupported measurement {type(measurement).__name__}")
        except InputError as exc:
            self._unknown(getattr(measurement, "stamp_ns", 0), str(exc))

    def _unknown(self, stamp_ns: int, message: str) -> None:
        self.diagnostics.unknown_sources += 1
        self._event(stamp_ns, message)

    def _event(self, stamp_ns: int, message: str) -> None:
        self.diagnostics.event(stamp_ns, message)
        log.warning("ego estimator at %d: %s", stamp_ns, message)

    # ------------------------------------------------------------------ IMU
    def _on_imu(self, m: ImuSample) -> None:
        if m.frame_id != self.imu_config.frame_id:
            return self._unknown(m.stamp_ns, f"IMU sample from unknown frame {m.frame_id!r} (expected {self.imu_config.frame_id!r})")
        d = self.diagnostics
        stamp = m.stamp_ns
        if self._last_imu_ns is not None and stamp <= self._last_imu_ns:
            if stamp == self._last_imu_ns:
                d.imu_duplicates += 1
            else:
                d.imu_out_of_order += 1
                self._event(stamp, f"IMU sample {(self._last_imu_ns - stamp) / 1e6:.1f} ms older than the last one dropped")
            return
        d.imu_samples += 1
        gyro, accel = m.angular_velocity, m.linear_acceleration
        if self._imu_rotated:
            gyro, accel = self.imu_rotation @ gyro, self.imu_rotation @ accel
        step_s = 0.0 if self._last_imu_ns is None else (stamp - self._last_imu_ns) / NS_PER_S
        if step_s > self.config.imu.gap_factor * self._imu_period_s:
            d.imu_gaps += 1
            self._event(stamp, f"IMU gap of {step_s * 1e3:.0f} ms")
        if step_s > self.config.imu.reset_gap_s and self.filter is not None:
            d.reinitialisations += 1
            self._event(stamp, f"IMU silent for {step_s:.1f} s: aligning afresh")
            self._reset()
            step_s = 0.0
        self._last_imu_ns = stamp
        if self.filter is None:
            self._align_imu(stamp, step_s, gyro, accel)
            return
        dt = (stamp - self._t_ns) / NS_PER_S
        if step_s > self.config.imu.max_gap_s:
            coast = max(dt - self._imu_period_s, 0.0)
            self.filter.coast(coast, self.config.imu.coast_accel_std_mps2, self.config.imu.coast_yaw_rate_std_rad_s)
            d.imu_coasted_s += coast
            dt -= coast
            self._gyro, self._accel = gyro, accel
        if dt > 0.0:
            self.filter.predict(dt, self._gyro, self._accel, gyro, accel)
        self._gyro, self._accel = gyro, accel
        self._t_ns = stamp
        if self.config.zupt.use_imu_detector:
            self._quiet.add(gyro, accel)
        self._motion_constraints(stamp)
        if d.imu_samples % 100 == 0 and not self.filter.is_finite():
            self._restore_good_state(stamp)
        self.history.append(stamp, self.filter.p, self.filter.R)

    def _align_imu(self, stamp: int, step_s: float, gyro: np.ndarray, accel: np.ndarray) -> None:
        """Before initialisation: average a quiet window for roll, pitch and gyro bias."""
        if self._first_imu_ns is None:
            self._first_imu_ns = stamp
        self._quiet.add(gyro, accel)
        self._gyro, self._accel = gyro, accel
        self._heading.add_motion(*self._yaw_rate_and_forward_acceleration(gyro, accel), step_s)
        waited = (stamp - self._first_imu_ns) / NS_PER_S
        quiet = self._quiet.quiet()
        if quiet:
            level = 2 if self._wheel is not None and not self._moving() else 1
        elif self._alignment is None and waited >= self.config.init.max_wait_s and self._quiet.full:
            level = 0
        else:
            return
        if self._alignment is not None and level < self._alignment_level:
            return
        mean = self._quiet.mean()
        gravity = mean[3:]
        off_gravity = abs(float(np.linalg.norm(gravity)) - GRAVITY_MPS2)
        if level == 1 == self._alignment_level and off_gravity >= self._alignment_off_gravity:
            return   # without wheels a steady acceleration is quiet too: keep the window that felt gravity alone
        self._alignment_off_gravity = off_gravity
        if self._moving():  # remove the motion the wheels see: along-track and centripetal acceleration
            gravity = gravity - np.array([self._wheel_acceleration(), self._wheel[1] * mean[2], 0.0])
        roll, pitch = roll_pitch_from_gravity(gravity)
        tilt_std = np.radians(self.config.init.roll_pitch_std_deg) * (3.0 if level == 0 else 1.0)
        bias, bias_std = np.zeros(3), self.imu_config.gyro_bias_turn_on
        if level == 2:  # standing: the mean rate is the gyro bias, the mean force is gravity alone
            bias = mean[:3].copy()
            bias_std = self.imu_config.gyro_noise_density / np.sqrt(self.config.init.static_window_s)
            tilt_std = max(self.imu_config.accel_bias_turn_on / 9.8, np.radians(0.2))
        self._alignment = (roll, pitch, bias, float(tilt_std), float(bias_std))
        self._alignment_level = level

    def _yaw_rate_and_forward_acceleration(self, gyro: np.ndarray, accel: np.ndarray) -> tuple[float, float]:
        """Before initialisation: yaw rate less the gyro bias, and the acceleration along x less the
        gravity the alignment's pitch puts there (0 before any alignment)."""
        if self._alignment is None:
            return float(gyro[2]), 0.0
        _, pitch, bias, _, _ = self._alignment
        return float(gyro[2] - bias[2]), float(accel[0] + GRAVITY_MPS2 * np.sin(pitch))

    def _moving(self) -> bool:
        """Whether the wheels (when present) say the vehicle is moving."""
        return self._wheel is not None and abs(self._wheel[1]) > self.config.wheel.standstill_mps

    def _wheel_acceleration(self) -> float:
        """Speed change per second over the alignment window, from the wheels (0 without them)."""
        if len(self._wheel_window) < 2:
            return 0.0
        (t0, v0), (t1, v1) = self._wheel_window[0], self._wheel_window[-1]
        return (v1 - v0) * NS_PER_S / max(t1 - t0, 1)

    # ------------------------------------------------------------------ initialisation
    def _initialise(self, stamp: int, antenna_enu: np.ndarray, antenna_cov: np.ndarray, heading: float,
                    heading_std: float, speed: float | None) -> None:
        roll, pitch, gyro_bias, tilt_std, bias_std = self._alignment
        earth = self.origin.earth_rate_enu() if self.config.earth_rotation else None
        f = ErrorStateFilter(self.process_noise, earth, self.config.imu.covariance_period_s)
        f.R = quat.to_matrix(quat.from_rpy(roll, pitch, heading))
        f.p = antenna_enu - f.R @ self.gnss_lever
        if speed is None and self._wheel is not None:
            speed = self._wheel[1]
        f.v = f.R @ np.array([speed or 0.0, 0.0, 0.0])
        f.bg = gyro_bias.copy()
        init = self.config.init
        f.P = np.diag(np.concatenate([
            np.diag(antenna_cov),
            np.full(3, init.velocity_std_mps**2),
            [tilt_std**2, tilt_std**2, heading_std**2],
            np.full(3, max(self.imu_config.accel_bias_turn_on, 1e-3) ** 2),
            np.full(3, max(bias_std, 1e-5) ** 2),
        ]))
        self.filter = f
        self._t_ns = stamp
        self._save_good_state()
        self._event(stamp, f"initialised: heading {np.degrees(heading):.1f} +- {np.degrees(heading_std):.1f} deg, "
                           f"roll {np.degrees(roll):.2f} pitch {np.degrees(pitch):.2f} deg")
        self.history.append(stamp, f.p, f.R)

    def _save_good_state(self) -> None:
        f = self.filter
        self._good = (f.p.copy(), f.v.copy(), f.R.copy(), f.ba.copy(), f.bg.copy(), f.P.copy())

    def _restore_good_state(self, stamp: int) -> None:
        f = self.filter
        f.p, f.v, f.R, f.ba, f.bg, f.P = (a.copy() for a in self._good)
        self.diagnostics.numerical_resets += 1
        self._event(stamp, "non-finite filter state: restored the last good state")

    # ------------------------------------------------------------------ aiding measurements
    def _advance_to(self, stamp: int, what: str) -> float | None:
        """Predict to a later stamp with the held IMU reading; for an earlier one return how far
        behind it is (seconds), or None when it is too old to use."""
        if stamp >= self._t_ns:
            dt = (stamp - self._t_ns) / NS_PER_S
            if dt > 0.0:
                if dt > self.config.imu.max_gap_s:
                    self.filter.coast(dt, self.config.imu.coast_accel_std_mps2, self.config.imu.coast_yaw_rate_std_rad_s)
                    self.diagnostics.imu_coasted_s += dt
                else:
                    self.filter.predict(dt, self._gyro, self._accel)
                self._t_ns = stamp
            return 0.0
        lag = (self._t_ns - stamp) / NS_PER_S
        if lag > self.config.gnss.max_delay_s:
            self.diagnostics.gnss_too_old += 1
            self._event(stamp, f"{what} {lag:.2f} s behind the IMU: dropped")
            return None
        return lag

    def fix_covariance(self, m: GnssFix) -> np.ndarray:
        """ENU covariance by NavSatFix covariance type, with a floor."""
        g = self.config.gnss
        floor = g.min_std_m**2
        if m.covariance_type == CovarianceType.UNKNOWN:
            return np.eye(3) * g.unknown_covariance_std_m**2
        reported = np.asarray(m.position_covariance, dtype=float)
        if m.covariance_type == CovarianceType.KNOWN:
            full = 0.5 * (reported + reported.T) + np.eye(3) * floor
            if np.all(np.linalg.eigvalsh(full) > 0.0):
                return full
        return np.diag(np.maximum(np.diag(reported), floor))  # diagonal types, or a KNOWN one that is not positive definite

    def _on_gnss(self, m: GnssFix) -> None:
        if m.frame_id != self.gnss_config.frame_id:
            return self._unknown(m.stamp_ns, f"GNSS fix from unknown frame {m.frame_id!r} (expected {self.gnss_config.frame_id!r})")
        d = self.diagnostics
        if not m.has_fix:
            d.gnss_no_fix += 1
            return
        d.gnss_fixes += 1
        if self.origin is None:
            self.origin = GeodeticOrigin(m.latitude_deg, m.longitude_deg, m.altitude_m)
            self._event(m.stamp_ns, f"map origin at the first fix {m.latitude_deg:.7f}, {m.longitude_deg:.7f}, {m.altitude_m:.2f} m")
        enu = self.origin.to_enu(m.latitude_deg, m.longitude_deg, m.altitude_m)
        cov = self.fix_covariance(m)
        velocity = m.velocity_enu if self.config.gnss.use_velocity else None
        if self.filter is None:
            self._align_gnss(m.stamp_ns, enu, cov, velocity)
            return
        lag = self._advance_to(m.stamp_ns, "GNSS fix")
        if lag is None:
            return
        f = self.filter
        predicted, H = f.point_position(self.gnss_lever)
        if lag > 0.0:
            predicted = predicted - f.v * lag  # where the antenna was at the fix's stamp
        accepted = self._correct(m.stamp_ns, enu - predicted, H, cov, self._gate3)
        if accepted:
            self._rejections_in_row = 0
            self._save_good_state()
        else:
            d.gnss_rejected += 1
            self._rejections_in_row += 1
            if self._rejections_in_row >= self.config.gnss.reinit_after_rejections:
                self._reinitialise_position(m.stamp_ns, enu, cov)
            return
        if velocity is not None:
            predicted_v, Hv = f.point_velocity(self.gnss_lever, self._gyro)
            ok = self._correct(m.stamp_ns, velocity - predicted_v, Hv, np.eye(3) * self.gnss_config.velocity_std_mps**2, self._gate3)
            d.gnss_velocity_rejected += not ok

    def _align_gnss(self, stamp: int, enu: np.ndarray, cov: np.ndarray, velocity: np.ndarray | None) -> None:
        if self.config.init.heading_source == "configured":
            if self._alignment is None:
                return
            self._initialise(stamp, enu, cov, np.radians(self.config.init.heading_deg),
                             np.radians(self.config.init.configured_heading_std_deg), None)
            return
        if self._wheel is not None and not self._moving():
            return  # standing: the GNSS track says nothing about the heading
        found = self._heading.add_fix(stamp, enu, float(np.sqrt(max(cov[0, 0], cov[1, 1]))), velocity,
                                      self.gnss_config.velocity_std_mps)
        if found is not None and self._alignment is not None:
            self._initialise(stamp, enu, cov, found.heading_rad, found.std_rad, None if self._wheel else found.speed_mps)

    def _reinitialise_position(self, stamp: int, enu: np.ndarray, cov: np.ndarray) -> None:
        """The gate rejected many fixes in a row: trust GNSS again (a jump, or drift after an outage)."""
        f = self.filter
        old = f.p + f.R @ self.gnss_lever
        f.p = enu - f.R @ self.gnss_lever
        f.P[P, :] = 0.0
        f.P[:, P] = 0.0
        f.P[P, P] = cov
        f.P[V, V] += np.eye(3) * self.config.init.velocity_std_mps**2
        self.diagnostics.reinitialisations += 1
        self._rejections_in_row = 0
        self._save_good_state()
        self._event(stamp, f"re-initialised the position after {self.config.gnss.reinit_after_rejections} rejected fixes "
                           f"(jump of {np.linalg.norm(enu - old):.1f} m)")

    def _on_wheel(self, m: WheelSpeed) -> None:
        if m.frame_id != self.base_frame:
            return self._unknown(m.stamp_ns, f"wheel speed in frame {m.frame_id!r} (expected {self.base_frame!r})")
        if not self.config.wheel.enabled:
            return
        self._wheel = (m.stamp_ns, m.speed_mps)
        if self.filter is None:
            self._wheel_window.append(self._wheel)
            while m.stamp_ns - self._wheel_window[0][0] > self.config.init.static_window_s * NS_PER_S:
                self._wheel_window.popleft()
        if self.filter is None or abs(m.speed_mps) <= self.config.wheel.standstill_mps:
            return  # standstill: the zero-velocity update takes over
        if m.stamp_ns - self._last_wheel_ns < NS_PER_S / self.config.wheel.max_rate_hz:
            return
        self._last_wheel_ns = m.stamp_ns
        if self._advance_to(m.stamp_ns, "wheel speed") is None:
            return
        std = float(np.hypot(m.std_mps or self.config.wheel.default_std_mps, self.config.wheel.scale_std * m.speed_mps))
        rows = [0, 1, 2] if self.config.nhc.enabled else [0]
        noise = np.array([std, self.config.nhc.lateral_std_mps, self.config.nhc.vertical_std_mps])[rows] ** 2
        self._body_velocity_update(m.stamp_ns, np.array([m.speed_mps, 0.0, 0.0])[rows], rows, noise)
        self.diagnostics.wheel_updates += 1
        self._last_nhc_ns = m.stamp_ns

    def _body_velocity_update(self, stamp: int, z: np.ndarray, rows: list[int], noise_var: np.ndarray) -> None:
        predicted, H = self.filter.body_velocity(self.base_lever, self._gyro)
        self._correct(stamp, z - predicted[rows], H[rows], np.diag(noise_var))

    def _correct(self, stamp: int, residual: np.ndarray, H: np.ndarray, noise: np.ndarray, gate: float | None = None) -> bool:
        """Every correction goes through here: a numerically failed one restores the last good state."""
        accepted, d2 = self.filter.correct(residual, H, noise, gate)
        if not np.isfinite(d2):
            self._restore_good_state(stamp)
            return False
        return accepted

    def _standing(self, stamp: int) -> bool:
        if self._wheel is not None and stamp - self._wheel[0] < 0.5 * NS_PER_S:
            return abs(self._wheel[1]) <= self.config.wheel.standstill_mps
        z = self.config.zupt
        # A steady cruise is as quiet as standing to an IMU: only trust quiet near zero estimated speed.
        return z.use_imu_detector and self._quiet.quiet() and float(self.filter.v @ self.filter.v) < z.imu_detector_max_speed_mps**2

    def _motion_constraints(self, stamp: int) -> None:
        """ZUPT + zero angular rate while standing; otherwise the NHC when no wheel speed brought it."""
        z, nhc = self.config.zupt, self.config.nhc
        if z.enabled and self._standing(stamp):
            if stamp - self._last_zupt_ns >= NS_PER_S / z.rate_hz:
                f = self.filter
                H = np.zeros((3, N))
                H[:, V] = np.eye(3)
                self._correct(stamp, -f.v, H, np.eye(3) * z.velocity_std_mps**2)
                h, Hb = f.gyro_bias_model()
                self._correct(stamp, self._gyro - h, Hb, self._rate_noise)
                self._last_zupt_ns = stamp
                self.diagnostics.zupt_updates += 1
            return
        wheels_fuse_it = self.config.wheel.enabled and self._wheel is not None and stamp - self._wheel[0] < 0.5 * NS_PER_S
        if nhc.enabled and not wheels_fuse_it and stamp - self._last_nhc_ns >= NS_PER_S / nhc.rate_hz:
            self._body_velocity_update(stamp, np.zeros(2), [1, 2], np.array([nhc.lateral_std_mps, nhc.vertical_std_mps]) ** 2)
            self._last_nhc_ns = stamp
            self.diagnostics.nhc_updates += 1

    # ------------------------------------------------------------------ output
    def _require_initialised(self) -> ErrorStateFilter:
        if self.filter is None:
            raise StampOrderError("ego estimator", "not initialised yet (waiting for a quiet IMU window and GNSS heading)")
        return self.filter

    def odometry(self) -> Odometry:
        """The current estimate of base_link in the map frame (nav_msgs/Odometry semantics)."""
        f = self._require_initialised()
        position, orientation, pose_cov, velocity_body, omega, twist_cov = f.point_odometry(
            self._gyro, self.base_lever, self._base_lever_skew, self._pose_jacobian, self._twist_jacobian,
            self._rate_noise)
        return Odometry(self._t_ns, self.config.map_frame, self.base_frame, position, orientation, pose_cov,
                        velocity_body, omega, twist_cov)

    def state(self) -> EgoState:
        f = self._require_initialised()
        cov = f.covariance()
        return EgoState(self.odometry(), f.ba.copy(), f.bg.copy(), self._position_std(cov), self._heading_std(cov),
                        True, self.converged)

    def pose_at(self, stamp_ns: int) -> Transform:
        """T_map_base_link at a recent stamp: interpolated in the history, or predicted with the
        current velocity and rate up to max_extrapolation_s past the newest estimate."""
        self._require_initialised()
        newest = self.history.span_ns[1]
        if stamp_ns <= newest:
            return self.history.pose_at(stamp_ns)
        ahead = (stamp_ns - newest) / NS_PER_S
        if ahead > self.config.max_extrapolation_s:
            raise StampOrderError("ego estimator", f"stamp {stamp_ns} is {ahead:.3f} s past the newest estimate "
                                                   f"(at most {self.config.max_extrapolation_s} s ahead)")
        f = self.filter
        omega = f.angular_rate(self._gyro)
        R = f.R @ so3_exp(omega * ahead)
        position = f.p + f.v * ahead + R @ self.base_lever
        return Transform(position, matrix_to_quaternion(R))

    def add_to(self, tree: TransformTree, stamp_ns: int | None = None) -> None:
        """Put map -> base_link at stamp_ns (default: the current estimate) into a transform tree."""
        stamp = self._t_ns if stamp_ns is None else stamp_ns
        self._require_initialised()
        tree.add_dynamic(self.config.map_frame, self.base_frame, stamp, self.pose_at(stamp))

