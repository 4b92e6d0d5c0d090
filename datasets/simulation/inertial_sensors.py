"""IMU, GNSS and wheel-speed synthesis from a ground-truth EgoTrajectory.

Error models (all deterministic for a numpy Generator):
- IMU: white noise from the datasheet noise densities (std = density * sqrt(rate)); per axis a
  turn-on bias plus a first-order Gauss-Markov bias whose stationary std is the bias instability;
  lever arm (centripetal and angular-acceleration terms) and mounting rotation from the mount;
  optionally the Earth's rotation (gyro) and Coriolis force (accelerometer) at the map origin.
- GNSS: the antenna's position (lever arm) with white horizontal/vertical noise, occasional
  outliers of the configured magnitude, outage windows that publish NO_FIX messages, WGS-84
  output through the map origin; an ENU velocity when the receiver reports one.
- Wheel speed: base_link's forward speed with a tyre-radius scale error and white noise; exactly
  zero at standstill (no wheel ticks).
The `*_readings` functions return arrays (with the truth the evaluation needs); the `simulate_*`
functions wrap them into the measurement types the estimator consumes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.signal import lfilter

from datasets.simulation.ego_trajectory import EgoTrajectory
from fusion.config.vehicle import GnssConfig, ImuConfig
from fusion.core import quaternion as quat
from fusion.core.errors import InputError
from fusion.core.measurements import CovarianceType, GnssFix, GnssStatus, ImuSample
from fusion.core.transform import Transform
from fusion.ego.geodesy import GRAVITY_MPS2, GeodeticOrigin
from fusion.ego.wheel_speed import WheelSpeed

STANDSTILL_MPS = 0.05  # below this the wheel-speed sensor sees no ticks


@dataclass
class ImuReadings:
    """IMU-frame gyro [rad/s] and specific force [m/s^2] per stamp, and the biases in them."""

    stamps_ns: np.ndarray
    gyro: np.ndarray
    accel: np.ndarray
    gyro_bias: np.ndarray
    accel_bias: np.ndarray


@dataclass
class GnssReadings:
    """Antenna positions in the map frame: measured (NaN in outages) and true, per stamp."""

    stamps_ns: np.ndarray
    measured_enu: np.ndarray
    true_enu: np.ndarray
    velocity_enu: np.ndarray | None
    has_fix: np.ndarray
    outlier: np.ndarray


def _decimation(trajectory: EgoTrajectory, rate_hz: float, what: str) -> int:
    """Every how many trajectory samples the sensor samples; its rate must divide the trajectory's."""
    step = max(int(round(trajectory.rate_hz / rate_hz)), 1)
    if abs(trajectory.rate_hz / step - rate_hz) > 1e-6 * rate_hz:
        raise InputError(what, f"rate {rate_hz} Hz does not divide the trajectory rate {trajectory.rate_hz:g} Hz")
    return step


def _gauss_markov(rng: np.random.Generator, n: int, stationary_std: float, correlation_s: float, dt: float) -> np.ndarray:
    """(n, 3) first-order Gauss-Markov process started from its stationary distribution."""
    phi = np.exp(-dt / correlation_s)
    drive = rng.standard_normal((n, 3)) * stationary_std * np.sqrt(1.0 - phi**2)
    drive[0] = rng.standard_normal(3) * stationary_std
    return lfilter([1.0], [1.0, -phi], drive, axis=0)


def imu_readings(
    trajectory: EgoTrajectory,
    config: ImuConfig,
    mount: Transform | None,
    rng: np.random.Generator,
    earth_rotation_origin: GeodeticOrigin | None = None,
) -> ImuReadings:
    """Gyro and accelerometer readings at the IMU rate; mount = T_base_link_imu (None: config.mount)."""
    mount = config.mount.transform() if mount is None else mount
    step = _decimation(trajectory, config.rate_hz, f"imu {config.frame_id!r}")
    sel = slice(None, None, step)
    q = trajectory.orientation[sel]
    omega, alpha = trajectory.angular_velocity[sel], trajectory.angular_acceleration[sel]
    lever = mount.translation
    # Motion of the IMU point: v + R (w x r), a + R (alpha x r + w x (w x r)).
    velocity = trajectory.velocity[sel] + quat.rotate(q, np.cross(omega, lever))
    accel_body = np.cross(alpha, lever) + np.cross(omega, np.cross(omega, lever))
    specific_force = trajectory.acceleration[sel] + quat.rotate(q, accel_body) + np.array([0.0, 0.0, GRAVITY_MPS2])
    gyro = omega.copy()
    if earth_rotation_origin is not None:
        earth = earth_rotation_origin.earth_rate_enu()
        specific_force = specific_force + 2.0 * np.cross(earth, velocity)
        gyro = gyro + quat.rotate(quat.conjugate(q), np.broadcast_to(earth, omega.shape))
    to_imu = quat.conjugate(mount.rotation)
    gyro = quat.rotate(to_imu, gyro)
    accel = quat.rotate(to_imu, quat.rotate(quat.conjugate(q), specific_force))
    n, dt = len(gyro), 1.0 / config.rate_hz
    gyro_bias = rng.standard_normal(3) * config.gyro_bias_turn_on + _gauss_markov(
        rng, n, config.gyro_bias_instability, config.gyro_bias_correlation_s, dt)
    accel_bias = rng.standard_normal(3) * config.accel_bias_turn_on + _gauss_markov(
        rng, n, config.accel_bias_instability, config.accel_bias_correlation_s, dt)
    white = np.sqrt(config.rate_hz)
    gyro = gyro + gyro_bias + rng.standard_normal((n, 3)) * config.gyro_noise_density * white
    accel = accel + accel_bias + rng.standard_normal((n, 3)) * config.accel_noise_density * white
    return ImuReadings(trajectory.stamps_ns[sel].copy(), gyro, accel, gyro_bias, accel_bias)


def simulate_imu(
    trajectory: EgoTrajectory,
    imu_config: ImuConfig,
    imu_mount: Transform | None,
    rng: np.random.Generator,
    earth_rotation_origin: GeodeticOrigin | None = None,
    sensor_id: str = "imu",
) -> list[ImuSample]:
    """ImuSample messages (IMU frame, acquisition stamps) for the whole trajectory."""
    return imu_messages(imu_readings(trajectory, imu_config, imu_mount, rng, earth_rotation_origin), imu_config, sensor_id)


def imu_messages(readings: ImuReadings, config: ImuConfig, sensor_id: str = "imu") -> list[ImuSample]:
    return [ImuSample(int(stamp), config.frame_id, sensor_id, angular_velocity=g, linear_acceleration=a)
            for stamp, g, a in zip(readings.stamps_ns, readings.gyro, readings.accel)]


def _in_windows(times_s: np.ndarray, windows: Sequence[tuple[float, float]]) -> np.ndarray:
    inside = np.zeros(len(times_s), dtype=bool)
    for start, end in windows:
        if not end > start:
            raise InputError("gnss outage", f"window ({start}, {end}) must end after it starts")
        inside |= (times_s >= start) & (times_s < end)
    return inside


def gnss_readings(
    trajectory: EgoTrajectory,
    config: GnssConfig,
    rng: np.random.Generator,
    outages: Sequence[tuple[float, float]] = (),
    mount: Transform | None = None,
) -> GnssReadings:
    """Antenna fixes at the GNSS rate; outages are (start_s, end_s) windows in seconds since the
    trajectory's first sample; mount = T_base_link_antenna (None: config.mount)."""
    mount = config.mount.transform() if mount is None else mount
    step = _decimation(trajectory, config.rate_hz, f"gnss {config.frame_id!r}")
    sel = slice(None, None, step)
    q, omega = trajectory.orientation[sel], trajectory.angular_velocity[sel]
    true_enu = trajectory.position[sel] + quat.rotate(q, np.broadcast_to(mount.translation, omega.shape))
    n = len(true_enu)
    noise = rng.standard_normal((n, 3)) * np.array([config.horizontal_std_m, config.horizontal_std_m, config.vertical_std_m])
    outlier = rng.random(n) < config.outlier_probability
    direction = rng.uniform(0.0, 2.0 * np.pi, n)
    noise[outlier, 0] += config.outlier_magnitude_m * np.cos(direction[outlier])
    noise[outlier, 1] += config.outlier_magnitude_m * np.sin(direction[outlier])
    has_fix = ~_in_windows(trajectory.times_s[sel], outages)
    measured = np.where(has_fix[:, None], true_enu + noise, np.nan)
    velocity = None
    if config.reports_velocity:
        antenna_velocity = trajectory.velocity[sel] + quat.rotate(q, np.cross(omega, mount.translation))
        velocity = antenna_velocity + rng.standard_normal((n, 3)) * config.velocity_std_mps
    return GnssReadings(trajectory.stamps_ns[sel].copy(), measured, true_enu, velocity, has_fix, outlier & has_fix)


def simulate_gnss(
    trajectory: EgoTrajectory,
    gnss_config: GnssConfig,
    origin: GeodeticOrigin,
    rng: np.random.Generator,
    outages: Sequence[tuple[float, float]] = (),
    mount: Transform | None = None,
    sensor_id: str = "gnss",
) -> list[GnssFix]:
    """GnssFix messages (NavSatFix semantics, diagonal known covariance); NO_FIX during outages."""
    return gnss_messages(gnss_readings(trajectory, gnss_config, rng, outages, mount), gnss_config, origin, sensor_id)


def gnss_messages(readings: GnssReadings, config: GnssConfig, origin: GeodeticOrigin, sensor_id: str = "gnss") -> list[GnssFix]:
    lat, lon, alt = origin.to_geodetic(np.nan_to_num(readings.measured_enu))
    h2, v2 = config.horizontal_std_m**2, config.vertical_std_m**2
    covariance = np.diag([h2, h2, v2])
    fixes = []
    for k, stamp in enumerate(readings.stamps_ns):
        if not readings.has_fix[k]:
            fixes.append(GnssFix(int(stamp), config.frame_id, sensor_id, latitude_deg=float("nan"),
                                 longitude_deg=float("nan"), altitude_m=float("nan"),
                                 position_covariance=np.zeros((3, 3)), status=GnssStatus.NO_FIX))
            continue
        fixes.append(GnssFix(int(stamp), config.frame_id, sensor_id, latitude_deg=float(lat[k]),
                             longitude_deg=float(lon[k]), altitude_m=float(alt[k]), position_covariance=covariance,
                             covariance_type=CovarianceType.DIAGONAL_KNOWN, status=GnssStatus.FIX,
                             velocity_enu=None if readings.velocity_enu is None else readings.velocity_enu[k]))
    return fixes


def simulate_wheel_speed(
    trajectory: EgoTrajectory,
    rng: np.random.Generator,
    rate_hz: float = 50.0,
    noise_std_mps: float = 0.05,
    scale_error: float = 0.0,
    frame_id: str = "base_link",
    sensor_id: str = "wheel_speed",
) -> list[WheelSpeed]:
    """Forward speed of base_link as the wheels report it: (1 + scale_error) * speed + noise,
    exactly zero at standstill; negative when the body velocity points backwards."""
    step = _decimation(trajectory, rate_hz, f"wheel speed {sensor_id!r}")
    q = trajectory.orientation[::step]
    forward = quat.rotate(quat.conjugate(q), trajectory.velocity[::step])[:, 0]
    measured = (1.0 + scale_error) * forward + rng.standard_normal(len(forward)) * noise_std_mps
    measured[np.abs(forward) < STANDSTILL_MPS] = 0.0
    return [WheelSpeed(int(stamp), frame_id, sensor_id, speed_mps=float(v), std_mps=noise_std_mps)
            for stamp, v in zip(trajectory.stamps_ns[::step], measured)]
