"""Ground-truth ego (base_link) trajectories in the local ENU `map` frame, for simulation.

A trajectory is a path curve (a cubic spline in its own arc length) travelled with a progress
function. Heading and pitch follow the path tangent and roll is zero, so the body velocity is
always (speed, 0, 0) — cars move forward, never sideways — and the heading simply holds while the
car stands still. Position, velocity, acceleration, orientation and body rates are analytic
derivatives of the same splines (chain rule), so an IMU synthesised from them integrates back to
the position; only the progress along the path is integrated numerically (trapezoid at the output
rate, errors far below a millimetre).

Builders: `from_waypoints` (spline through timed positions), `from_kitti_gps` (the real 1 Hz
KITTI drive, smoothed) and `scripted` (speed / yaw-rate segments for synthetic drives).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np
from scipy.integrate import cumulative_trapezoid
from scipy.interpolate import UnivariateSpline, make_interp_spline, make_smoothing_spline
from scipy.ndimage import uniform_filter1d

from fusion.core import quaternion as quat
from fusion.core.errors import InputError
from fusion.core.time import NS_PER_S
from fusion.core.transform import Transform

PATH_SPACING_M = 0.5        # resampling step of the path curve: merges the centimetre jitter of stops
PATH_SMOOTHING = 1.0        # curvature penalty of the path spline (scipy make_smoothing_spline lam, on that grid)
GEOMETRY_MIN_SPEED = 0.5    # [m/s] slower samples do not shape the path (their direction is noise)
MIN_PATH_LENGTH_M = 1.0     # below this the trajectory is treated as standing still


class Segment(NamedTuple):
    """One piece of a scripted drive: the speed changes linearly to `speed_end_mps` over
    `duration_s` while the car turns at `yaw_rate_rad_s` (positive = left, REP 103)."""

    duration_s: float
    speed_end_mps: float
    yaw_rate_rad_s: float = 0.0


@dataclass(frozen=True)
class EgoTrajectory:
    """T samples at a fixed rate. position, velocity, acceleration: map frame; orientation: unit
    quaternions (x, y, z, w) of T_map_base_link; angular_velocity and angular_acceleration: base_link."""

    stamps_ns: np.ndarray
    position: np.ndarray
    orientation: np.ndarray
    velocity: np.ndarray
    acceleration: np.ndarray
    angular_velocity: np.ndarray
    angular_acceleration: np.ndarray

    @property
    def rate_hz(self) -> float:
        return NS_PER_S / float(self.stamps_ns[1] - self.stamps_ns[0]) if len(self.stamps_ns) > 1 else 0.0

    @property
    def times_s(self) -> np.ndarray:
        """Seconds since the first sample."""
        return (self.stamps_ns - self.stamps_ns[0]) / NS_PER_S

    @property
    def duration_s(self) -> float:
        return float(self.stamps_ns[-1] - self.stamps_ns[0]) / NS_PER_S

    @property
    def distance_m(self) -> float:
        """Length of the driven path."""
        return float(np.sum(np.linalg.norm(np.diff(self.position, axis=0), axis=1)))

    @property
    def speed(self) -> np.ndarray:
        return np.linalg.norm(self.velocity, axis=1)

    @property
    def yaw(self) -> np.ndarray:
        """Heading about map z [rad], in [-pi, pi)."""
        return quat.to_rpy(self.orientation)[:, 2]

    def _bracket(self, stamp_ns: int) -> tuple[int, float]:
        """Index i and fraction f so that stamp = (1-f) stamps[i] + f stamps[i+1]."""
        stamp_ns = int(stamp_ns)
        first, last = int(self.stamps_ns[0]), int(self.stamps_ns[-1])
        if not first <= stamp_ns <= last:
            raise InputError("ego trajectory", f"stamp {stamp_ns} outside the trajectory [{first}, {last}]")
        i = min(bisect.bisect_right(self.stamps_ns, stamp_ns) - 1, len(self.stamps_ns) - 2)
        i = max(i, 0)
        span = int(self.stamps_ns[i + 1] - self.stamps_ns[i]) if len(self.stamps_ns) > 1 else 1
        return i, (stamp_ns - int(self.stamps_ns[i])) / span

    def pose_at(self, stamp_ns: int) -> Transform:
        """T_map_base_link at a stamp inside the trajectory (linear / slerp between samples)."""
        if len(self.stamps_ns) == 1:
            self._bracket(stamp_ns)
            return Transform(self.position[0], self.orientation[0])
        i, f = self._bracket(stamp_ns)
        return Transform(self.position[i], self.orientation[i]).interpolate(
            Transform(self.position[i + 1], self.orientation[i + 1]), f)

    def velocity_at(self, stamp_ns: int) -> np.ndarray:
        """Map-frame velocity [m/s] at a stamp inside the trajectory."""
        if len(self.stamps_ns) == 1:
            self._bracket(stamp_ns)
            return self.velocity[0].copy()
        i, f = self._bracket(stamp_ns)
        return (1.0 - f) * self.velocity[i] + f * self.velocity[i + 1]

    def index_at(self, stamp_ns: int) -> int:
        """Index of the sample nearest to a stamp inside the trajectory."""
        if len(self.stamps_ns) == 1:
            self._bracket(stamp_ns)
            return 0
        i, f = self._bracket(stamp_ns)
        return i + int(f >= 0.5)

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_waypoints(
        cls,
        times_s: np.ndarray,
        positions: np.ndarray,
        rate_hz: float = 100.0,
        start_ns: int = 0,
        smoothing_std_m: float = 0.0,
        vertical_smoothing_std_m: float | None = None,
        static_yaw_rad: float = 0.0,
    ) -> EgoTrajectory:
        """Trajectory through timed map positions (K >= 4), sampled at rate_hz from times_s[0]
        (which becomes start_ns) to times_s[-1].

        smoothing_std_m = 0 interpolates the waypoints; a positive value fits a smoothing spline
        allowing that much horizontal noise per waypoint (vertical_smoothing_std_m for z, default
        the same). static_yaw_rad is the heading of a trajectory that never moves.
        """
        times, points = _check_waypoints(times_s, positions)
        if not (np.isfinite(rate_hz) and rate_hz > 0):
            raise InputError("ego trajectory", f"rate_hz must be positive, got {rate_hz}")
        vertical = smoothing_std_m if vertical_smoothing_std_m is None else vertical_smoothing_std_m
        if smoothing_std_m < 0 or vertical < 0:
            raise InputError("ego trajectory", "smoothing standard deviations must be >= 0")
        n = int(np.floor((times[-1] - times[0]) * rate_hz + 1e-9)) + 1
        t = np.arange(n) / rate_hz
        stamps = int(start_ns) + np.round(np.arange(n) * (NS_PER_S / rate_hz)).astype(np.int64)
        p, dp, ddp = _time_spline(times - times[0], points, t, smoothing_std_m, vertical)
        speed = np.linalg.norm(dp, axis=1)
        progress = cumulative_trapezoid(speed, t, initial=0.0)
        if progress[-1] < MIN_PATH_LENGTH_M:
            return cls._standing(stamps, p[0], static_yaw_rad)
        progress_rate = speed
        progress_accel = np.einsum("ij,ij->i", dp, ddp) / np.maximum(speed, 1e-9)
        path = _path_spline(progress, p, speed)
        return cls._along_path(stamps, t, path, progress, progress_rate, progress_accel)

    @classmethod
    def from_kitti_gps(
        cls,
        path: str | Path,
        rate_hz: float = 100.0,
        start_ns: int = 0,
        smoothing_std_m: float = 0.3,
        vertical_smoothing_std_m: float = 1.0,
    ) -> EgoTrajectory:
        """The KITTI GPS drive (`time, x, y, z` rows, comma or space separated, `#` comments; x east,
        y north, z up) as a trajectory. The ~1 Hz positions carry decimetre noise and the first row
        is ~3 s before the second, so a smoothing spline is fitted rather than an interpolating one."""
        times, points = read_timed_positions(path)
        return cls.from_waypoints(times, points, rate_hz=rate_hz, start_ns=start_ns,
                                  smoothing_std_m=smoothing_std_m, vertical_smoothing_std_m=vertical_smoothing_std_m)

    @classmethod
    def scripted(
        cls,
        segments: Sequence[Segment | tuple[float, float, float]],
        rate_hz: float = 100.0,
        start_ns: int = 0,
        initial_speed_mps: float = 0.0,
        initial_yaw_rad: float = 0.0,
        initial_position: Sequence[float] = (0.0, 0.0, 0.0),
        transition_s: float = 1.0,
    ) -> EgoTrajectory:
        """A flat synthetic drive from segments (duration_s, speed_end_mps, yaw_rate_rad_s), each
        starting at the previous segment's end speed (the first at initial_speed_mps). Speed changes
        and steering are eased over transition_s so accelerations and rates stay continuous.

        Example, an urban drive: straight at 10 m/s, a left turn, a stop, pull away:
        `EgoTrajectory.scripted([(10, 10, 0), (9, 8, 0.17), (6, 0, 0), (5, 0, 0), (8, 12, 0)], initial_speed_mps=10)`.
        """
        segs = [Segment(*map(float, s)) for s in segments]
        if not segs:
            raise InputError("scripted drive", "no segments")
        for k, s in enumerate(segs):
            if not all(np.isfinite(s)) or s.duration_s <= 0 or s.speed_end_mps < 0:
                raise InputError("scripted drive", f"segment {k} {tuple(s)}: needs duration > 0 and speed >= 0")
        if initial_speed_mps < 0 or transition_s < 0:
            raise InputError("scripted drive", "initial speed and transition time must be >= 0")
        fine_hz = max(rate_hz, 100.0)
        edges = np.concatenate([[0.0], np.cumsum([s.duration_s for s in segs])])
        t = np.arange(int(np.floor(edges[-1] * fine_hz + 1e-9)) + 1) / fine_hz
        speed = np.interp(t, edges, [initial_speed_mps] + [s.speed_end_mps for s in segs])
        index = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(segs) - 1)
        yaw_rate = np.array([s.yaw_rate_rad_s for s in segs])[index]
        width = max(int(round(transition_s * fine_hz)), 1)
        speed = uniform_filter1d(speed, width, mode="nearest")
        yaw_rate = uniform_filter1d(yaw_rate, width, mode="nearest")
        yaw = initial_yaw_rad + cumulative_trapezoid(yaw_rate, t, initial=0.0)
        step = np.column_stack([speed * np.cos(yaw), speed * np.sin(yaw), np.zeros_like(t)])
        xyz = np.asarray(initial_position, dtype=float) + cumulative_trapezoid(step, t, axis=0, initial=0.0)
        keep = np.arange(0, len(t), max(int(round(fine_hz / 10.0)), 1))  # 10 Hz waypoints
        if keep[-1] != len(t) - 1:
            keep = np.append(keep, len(t) - 1)
        return cls.from_waypoints(t[keep], xyz[keep], rate_hz=rate_hz, start_ns=start_ns, static_yaw_rad=initial_yaw_rad)

    # ------------------------------------------------------------------ assembly
    @classmethod
    def _standing(cls, stamps: np.ndarray, where: np.ndarray, yaw: float) -> EgoTrajectory:
        n = len(stamps)
        zeros = np.zeros((n, 3))
        return cls(stamps, np.tile(where, (n, 1)), np.tile(quat.from_rpy(0.0, 0.0, yaw), (n, 1)),
                   zeros, zeros.copy(), zeros.copy(), zeros.copy())

    @classmethod
    def _along_path(cls, stamps: np.ndarray, t: np.ndarray, path, s: np.ndarray, s_dot: np.ndarray,
                    s_ddot: np.ndarray) -> EgoTrajectory:
        """Chain rule through path(s(t)): the heading/pitch follow the tangent path'(s)."""
        d1, d2 = path.derivative(1)(s), path.derivative(2)(s)
        position = path(s)
        velocity = d1 * s_dot[:, None]
        acceleration = d2 * (s_dot**2)[:, None] + d1 * s_ddot[:, None]
        horizontal = np.hypot(d1[:, 0], d1[:, 1])
        yaw = np.arctan2(d1[:, 1], d1[:, 0])
        pitch = -np.arctan2(d1[:, 2], horizontal)  # REP 103: positive pitch = nose down
        dyaw_ds = (d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]) / horizontal**2
        dhorizontal_ds = (d1[:, 0] * d2[:, 0] + d1[:, 1] * d2[:, 1]) / horizontal
        dpitch_ds = -(horizontal * d2[:, 2] - d1[:, 2] * dhorizontal_ds) / (horizontal**2 + d1[:, 2] ** 2)
        yaw_rate, pitch_rate = dyaw_ds * s_dot, dpitch_ds * s_dot
        # Body rates of R = Rz(yaw) Ry(pitch): w_body = Ry^T [0, 0, yaw_rate] + [0, pitch_rate, 0].
        omega = np.column_stack([-np.sin(pitch) * yaw_rate, pitch_rate, np.cos(pitch) * yaw_rate])
        orientation = quat.normalize(quat.from_rpy(np.zeros_like(yaw), pitch, yaw))
        omega_dot = np.gradient(omega, t, axis=0)
        return cls(stamps, position, orientation, velocity, acceleration, omega, omega_dot)


def read_timed_positions(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Rows `time, x, y, z` (comma or whitespace separated; `#` comments and blank lines skipped)."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise InputError(str(path), f"cannot read trajectory: {exc.strerror}") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        fields = text.replace(",", " ").split()
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise InputError(f"{path}:{number}", f"expected 4 numbers 'time, x, y, z', got {line.strip()!r}") from None
        if len(values) != 4 or not np.all(np.isfinite(values)):
            raise InputError(f"{path}:{number}", f"expected 4 finite numbers 'time, x, y, z', got {line.strip()!r}")
        rows.append(values)
    if not rows:
        raise InputError(str(path), "no trajectory rows")
    data = np.asarray(rows)
    return data[:, 0], data[:, 1:]


def _check_waypoints(times_s: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    times = np.asarray(times_s, dtype=float).reshape(-1)
    points = np.asarray(positions, dtype=float)
    if points.ndim != 2 or points.shape != (len(times), 3):
        raise InputError("ego trajectory", f"positions must be (K, 3) matching {len(times)} times, got {points.shape}")
    if len(times) < 4:
        raise InputError("ego trajectory", f"need at least 4 waypoints for a cubic spline, got {len(times)}")
    if not (np.all(np.isfinite(times)) and np.all(np.isfinite(points))):
        raise InputError("ego trajectory", "waypoints contain non-finite values")
    bad = np.flatnonzero(np.diff(times) <= 0)
    if bad.size:
        raise InputError("ego trajectory", f"waypoint times must increase strictly (row {int(bad[0]) + 1}: {times[bad[0] + 1]} after {times[bad[0]]})")
    return times, points


def _time_spline(times: np.ndarray, points: np.ndarray, t: np.ndarray, std_h: float, std_v: float):
    """Position and its first two time derivatives at t, from a cubic (smoothing) spline."""
    if std_h == 0.0 and std_v == 0.0:
        spline = make_interp_spline(times, points, k=3)
        return spline(t), spline.derivative(1)(t), spline.derivative(2)(t)
    out = np.empty((3, len(t), 3))
    for axis, std in enumerate((std_h, std_h, std_v)):
        spline = UnivariateSpline(times, points[:, axis], k=3, s=len(times) * std**2)
        for order in range(3):
            out[order, :, axis] = spline.derivative(order)(t) if order else spline(t)
    return out[0], out[1], out[2]


def _path_spline(progress: np.ndarray, points: np.ndarray, speed: np.ndarray):
    """A cubic smoothing spline of the path in its arc length, fitted to the positions resampled
    every PATH_SPACING_M; samples slower than GEOMETRY_MIN_SPEED (stops) do not shape it, and the
    curvature penalty removes kinks shorter than about a metre that crawling at stops leaves."""
    keep = speed >= GEOMETRY_MIN_SPEED
    keep[0] = keep[-1] = True
    s, first = np.unique(progress[keep], return_index=True)
    kept = points[keep][first]
    grid = np.linspace(0.0, progress[-1], max(int(np.ceil(progress[-1] / PATH_SPACING_M)) + 1, 4))
    resampled = np.column_stack([np.interp(grid, s, kept[:, k]) for k in range(3)])
    return make_smoothing_spline(grid, resampled, lam=PATH_SMOOTHING)
