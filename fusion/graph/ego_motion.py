"""The latest ego odometry as a front-end node sees it: the sensor's own twist for deskewing
lidar sweeps and compensating radar Doppler, if the odometry is recent enough."""
from __future__ import annotations

import numpy as np

from fusion.core.time import NS_PER_S
from fusion.core.transform import Transform
from fusion.ego.state import Odometry

MAX_AGE_NS = NS_PER_S // 5   # odometry older (or newer) than this is not used for a measurement


class EgoMotion:
    def __init__(self) -> None:
        self.latest: Odometry | None = None

    def update(self, odometry: Odometry) -> None:
        self.latest = odometry

    def sensor_twist(self, T_base_sensor: Transform, stamp_ns: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(linear [m/s], angular [rad/s]) velocity of the sensor in its own axes, or None without
        odometry within MAX_AGE_NS of the stamp."""
        odom = self.latest
        if odom is None or abs(odom.stamp_ns - stamp_ns) > MAX_AGE_NS:
            return None
        omega = np.asarray(odom.angular_velocity, dtype=float)
        wx, wy, wz = omega
        rx, ry, rz = T_base_sensor.translation
        w_cross_r = (wy * rz - wz * ry, wz * rx - wx * rz, wx * ry - wy * rx)
        linear = np.asarray(odom.linear_velocity, dtype=float) + w_cross_r
        to_sensor = T_base_sensor.rotation_matrix.T     # cached by the mount's Transform
        return to_sensor @ linear, to_sensor @ omega
