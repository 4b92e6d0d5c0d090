"""Doppler (radial velocity) and ego motion.

A return's range rate is its velocity relative to the sensor projected on the line of sight u:
range_rate = u . (v_target - v_sensor). Adding u . v_sensor removes the ego motion, leaving
u . v_target, which is zero for the static world ("compensated" radial velocity).
"""
from __future__ import annotations

import numpy as np

from fusion.core.errors import InputError
from fusion.core.measurements import RadarDetections
from fusion.core.transform import Transform


def line_of_sight(detections: RadarDetections) -> np.ndarray:
    """Unit vectors (N, 3) from the sensor to each return, in the radar frame."""
    ce = np.cos(detections.elevation)
    return np.column_stack([ce * np.cos(detections.azimuth), ce * np.sin(detections.azimuth), np.sin(detections.elevation)])


def sensor_velocity_from_ego(T_base_sensor: Transform, linear_velocity: np.ndarray, angular_velocity: np.ndarray) -> np.ndarray:
    """Velocity (3,) of the sensor over ground, in the sensor frame, from the ego twist in base_link
    (linear [m/s] of the base_link origin, angular [rad/s]): v + w x r, rotated into the sensor."""
    v_mount = np.asarray(linear_velocity, dtype=float) + np.cross(angular_velocity, T_base_sensor.translation)
    return T_base_sensor.inverse().rotate(v_mount)


def compensate(detections: RadarDetections, sensor_velocity: np.ndarray) -> np.ndarray:
    """Ego-motion compensated radial velocities (N,) [m/s, positive = moving away]."""
    return detections.range_rate + line_of_sight(detections) @ np.asarray(sensor_velocity, dtype=float)


def ego_motion_from_sensor_velocity(sensor_velocity: np.ndarray, T_base_sensor: Transform) -> tuple[float, float]:
    """Forward speed [m/s] and yaw rate [rad/s] of base_link from one radar's velocity, assuming
    base_link does not slip sideways (it sits on the rear axle of a car that does not skid):
    the mount moves with (v - w y, w x) for a mount at (x, y), so w = v_mount_y / x."""
    v_mount = T_base_sensor.rotate(np.asarray(sensor_velocity, dtype=float))
    x, y = T_base_sensor.translation[:2]
    if abs(x) < 0.1:
        raise InputError("radar ego motion", f"a radar {x:.2f} m from the rear axle cannot tell yaw rate from lateral motion")
    yaw_rate = v_mount[1] / x
    return float(v_mount[0] + yaw_rate * y), float(yaw_rate)
