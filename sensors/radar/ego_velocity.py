"""The radar's own velocity from one scan: most returns are static, and a static return's range
rate is -u . v_sensor, so v_sensor is the robust least-squares fit of range rate against the
line of sight (Kellner et al., "Instantaneous ego-motion estimation using Doppler radar", 2013).

RANSAC on pairs of returns separates the static world from moving objects; scipy's Huber least
squares then refines v_sensor on the RANSAC inliers. The fit is planar (vx, vy in the radar
frame): a car-mounted radar barely moves vertically, and elevations span too little to observe vz.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from fusion.core.measurements import RadarDetections
from sensors.radar.doppler import line_of_sight

_MIN_RETURNS = 4


@dataclass
class SensorVelocity:
    """velocity (3,) of the radar in its frame (vz = 0, see module doc), its covariance (3, 3), the
    static returns used (N,) bool, the RMS residual [m/s] of those, and whether the fit is usable
    (reason says why not)."""

    velocity: np.ndarray
    covariance: np.ndarray
    static: np.ndarray
    residual_rms: float
    valid: bool
    reason: str = ""


def _invalid(n: int, reason: str) -> SensorVelocity:
    return SensorVelocity(np.zeros(3), np.diag([np.inf, np.inf, 0.0]), np.zeros(n, dtype=bool), np.inf, False, reason)


def estimate_sensor_velocity(detections: RadarDetections, inlier_threshold_mps: float = 0.2, iterations: int = 100,
                             min_static_fraction: float = 0.3, seed: int = 0) -> SensorVelocity:
    """Robust planar fit of the radar's velocity from one scan (deterministic for a given seed).
    Not valid when there are fewer than 4 returns, less than min_static_fraction of them agree,
    or their azimuths span too little to fix both components."""
    n = len(detections)
    if n < _MIN_RETURNS:
        return _invalid(n, f"{n} returns; need at least {_MIN_RETURNS}")
    design = -line_of_sight(detections)[:, :2]          # range_rate = design @ (vx, vy)
    rate = detections.range_rate

    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, n, size=(iterations, 2))
    a = design[pairs]                                    # (I, 2, 2); a pair of one return is singular
    det = a[:, 0, 0] * a[:, 1, 1] - a[:, 0, 1] * a[:, 1, 0]
    usable = np.abs(det) > 1e-3
    if not np.any(usable):
        return _invalid(n, "all returns lie along one line of sight")
    hypotheses = np.linalg.solve(a[usable], rate[pairs[usable]][..., None])[..., 0]   # (I', 2)
    inlier_counts = (np.abs(design @ hypotheses.T - rate[:, None]) < inlier_threshold_mps).sum(axis=0)
    static = np.abs(design @ hypotheses[np.argmax(inlier_counts)] - rate) < inlier_threshold_mps

    fit = least_squares(lambda v: design[static] @ v - rate[static], hypotheses[np.argmax(inlier_counts)],
                        loss="huber", f_scale=inlier_threshold_mps)
    static = np.abs(design @ fit.x - rate) < inlier_threshold_mps
    if np.count_nonzero(static) < max(_MIN_RETURNS, min_static_fraction * n):
        return _invalid(n, f"only {np.count_nonzero(static)} of {n} returns fit one ego velocity")
    normal = design[static].T @ design[static]
    if np.linalg.cond(normal) > 1e4:
        return _invalid(n, "static returns span too little azimuth to fix both velocity components")
    residual = design[static] @ fit.x - rate[static]
    rms = float(np.sqrt(np.mean(residual**2)))
    covariance = np.zeros((3, 3))
    covariance[:2, :2] = np.linalg.inv(normal) * max(rms, 1e-3) ** 2
    return SensorVelocity(np.append(fit.x, 0.0), covariance, static, rms, True)
