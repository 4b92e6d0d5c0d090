"""Initial alignment: roll, pitch and gyro bias from a quiet IMU, heading from the GNSS track.

Roll and pitch come from the mean specific force while the IMU is quiet (gravity is then all it
feels: standing, or cruising straight at constant speed; a steady acceleration is quiet too, which
is why the estimator keeps the first quiet window when no wheel speed says the vehicle stands). The
first heading is the direction of a GNSS chord of some metres, advanced by half the yaw the gyro saw
along it (for a steady turn the chord points along the mean heading), or the fix's own velocity
when the receiver reports one. The chord's speed is that at the fixes' mean time; the speed the
accelerometer gained since is added, so a vehicle still speeding up starts with its present speed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.ego.config import InitConfig


class QuietDetector:
    """Running mean and standard deviation of gyro and accelerometer over a fixed window (O(1) per
    sample); the IMU is quiet when both deviations stay under their thresholds."""

    def __init__(self, window: int, gyro_threshold: float, accel_threshold: float):
        self.window = max(int(window), 2)
        self.gyro_threshold, self.accel_threshold = gyro_threshold, accel_threshold
        self._buffer = np.zeros((self.window, 6))
        self._sum = np.zeros(6)
        self._sum_sq = np.zeros(6)
        self._count = 0

    def add(self, gyro: np.ndarray, accel: np.ndarray) -> None:
        slot = self._count % self.window
        sample = np.concatenate([gyro, accel])
        if self._count >= self.window:
            old = self._buffer[slot]
            self._sum -= old
            self._sum_sq -= old * old
        self._buffer[slot] = sample
        self._sum += sample
        self._sum_sq += sample * sample
        self._count += 1

    def reset(self) -> None:
        self._sum[:] = 0.0
        self._sum_sq[:] = 0.0
        self._count = 0

    @property
    def full(self) -> bool:
        return self._count >= self.window

    def mean(self) -> np.ndarray:
        """Mean (6,) of gyro then accel over the samples held."""
        return self._sum / max(min(self._count, self.window), 1)

    def quiet(self) -> bool:
        if not self.full:
            return False
        mean = self._sum / self.window
        std = np.sqrt(np.maximum(self._sum_sq / self.window - mean * mean, 0.0))
        return bool(std[:3].max() < self.gyro_threshold and std[3:].max() < self.accel_threshold)


def roll_pitch_from_gravity(specific_force: np.ndarray) -> tuple[float, float]:
    """Roll and pitch (REP 103) of a body whose accelerometer reads only gravity's reaction."""
    fx, fy, fz = specific_force
    return float(np.arctan2(fy, fz)), float(np.arctan2(-fx, np.hypot(fy, fz)))


@dataclass
class HeadingFix:
    heading_rad: float
    std_rad: float
    speed_mps: float


class GnssHeading:
    """The first heading and speed from the GNSS track: a straight-line fit of position against time
    over the last fixes (outliers dropped) once it spans `heading_baseline_m`; the fit's direction
    and speed hold at the fixes' mean time, advanced by the yaw the gyro and the forward speed the
    accelerometer saw since."""

    def __init__(self, config: InitConfig):
        self.config = config
        self._fixes: list[tuple[float, float, float, float, float]] = []  # t [s], east, north, yaw and speed integrals
        self._yaw_integral = 0.0
        self._speed_integral = 0.0

    def add_motion(self, yaw_rate: float, forward_acceleration: float, dt: float) -> None:
        """One IMU step: yaw rate [rad/s] and acceleration along the body's x axis [m/s^2] (gravity removed)."""
        self._yaw_integral += yaw_rate * dt
        self._speed_integral += forward_acceleration * dt

    def add_fix(self, stamp_ns: int, enu: np.ndarray, horizontal_std: float,
                velocity_enu: np.ndarray | None = None, velocity_std: float = 0.1) -> HeadingFix | None:
        if velocity_enu is not None:
            speed = float(np.hypot(velocity_enu[0], velocity_enu[1]))
            if speed > 20.0 * velocity_std:
                return HeadingFix(float(np.arctan2(velocity_enu[1], velocity_enu[0])), velocity_std / speed, speed)
        now = stamp_ns / 1e9
        self._fixes.append((now, float(enu[0]), float(enu[1]), self._yaw_integral, self._speed_integral))
        while now - self._fixes[0][0] > self.config.heading_baseline_max_s:
            self._fixes.pop(0)
        if len(self._fixes) < 5:
            return None
        data = np.asarray(self._fixes)
        inliers = np.ones(len(data), dtype=bool)
        for _ in range(2):  # fit, drop fixes far off the line, fit again
            t0 = data[inliers, 0].mean()
            slope, offset = np.polyfit(data[inliers, 0] - t0, data[inliers, 1:3], 1)
            predicted = offset + slope * (data[:, 0:1] - t0)
            inliers = np.hypot(*(data[:, 1:3] - predicted).T) < 3.5 * horizontal_std
            if inliers.sum() < 5:
                return None
        t = data[inliers, 0]
        velocity = np.polyfit(t - t.mean(), data[inliers, 1:3], 1)[0]
        speed = float(np.hypot(*velocity))
        if speed * (t[-1] - t[0]) < self.config.heading_baseline_m:
            return None
        turned = self._yaw_integral - float(np.interp(t.mean(), data[:, 0], data[:, 3]))
        gained = self._speed_integral - float(np.interp(t.mean(), data[:, 0], data[:, 4]))
        slope_std = horizontal_std / np.sqrt(np.sum((t - t.mean()) ** 2))
        std = float(np.hypot(slope_std / speed, 0.1 * abs(turned)))
        return HeadingFix(float(np.arctan2(velocity[1], velocity[0])) + turned, std, max(speed + gained, 0.0))
