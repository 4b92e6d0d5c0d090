"""Radar returns given as Cartesian points (as radar point clouds and View-of-Delft carry them)."""
from __future__ import annotations

import numpy as np

from fusion.core.measurements import RadarDetections


def radar_detections_from_points(xyz: np.ndarray, radial_velocity: np.ndarray, rcs: np.ndarray, stamp_ns: int,
                                 frame_id: str, sensor_id: str) -> RadarDetections:
    """RadarDetections from points (N, 3) in the radar frame, radial velocities [m/s, positive =
    moving away] and RCS [dBsm]; range/azimuth/elevation follow RadarDetections.to_cartesian."""
    xyz = np.asarray(xyz, dtype=float).reshape(-1, 3)
    rng = np.linalg.norm(xyz, axis=1)
    azimuth = np.arctan2(xyz[:, 1], xyz[:, 0])
    elevation = np.arcsin(np.divide(xyz[:, 2], rng, out=np.zeros_like(rng), where=rng > 0))
    return RadarDetections(stamp_ns, frame_id, sensor_id, range=rng, azimuth=azimuth, elevation=elevation,
                           range_rate=np.asarray(radial_velocity, dtype=float), rcs=np.asarray(rcs, dtype=float))
