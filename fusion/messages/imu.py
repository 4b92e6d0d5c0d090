"""sensor_msgs/Imu <-> ImuSample.

An Imu message may carry an orientation estimate; Taishan's ego estimator integrates the rates
itself, so the orientation is ignored on input and marked absent on output (covariance[0] = -1,
the REP 145 convention). A covariance whose first element is -1 likewise marks a missing rate.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from fusion.core.errors import InputError
from fusion.core.measurements import ImuSample
from fusion.messages.header import MessageTypes, make_header, read_header


_RATE_COVARIANCES = ("angular_velocity_covariance", "linear_acceleration_covariance")


def to_imu_sample(msg: Any, sensor_id: str, topic: str = "") -> ImuSample:
    """The angular velocity and specific force of an Imu message (ImuSample checks and converts
    the vectors; this runs for every IMU sample, so it indexes and builds them directly)."""
    stamp_ns, frame_id, source = read_header(msg, "Imu", topic)
    for name in _RATE_COVARIANCES:
        if float(getattr(msg, name)[0]) == -1.0:   # float64[9], row-major
            raise InputError(source, f"{name}[0] is -1: the {name.split('_cov')[0]} is not provided")
    w, a = msg.angular_velocity, msg.linear_acceleration
    return ImuSample(stamp_ns, frame_id, sensor_id, angular_velocity=np.array([w.x, w.y, w.z]),
                     linear_acceleration=np.array([a.x, a.y, a.z]))


def from_imu_sample(types: MessageTypes, sample: ImuSample, gyro_variance: float = 0.0, accel_variance: float = 0.0) -> Any:
    """An Imu message with no orientation and diagonal rate covariances (0 = unknown, per REP 145)."""
    vector = types("geometry_msgs/msg/Vector3")
    no_orientation = np.zeros(9)
    no_orientation[0] = -1.0
    return types("sensor_msgs/msg/Imu")(
        header=make_header(types, sample.stamp_ns, sample.frame_id),
        orientation=types("geometry_msgs/msg/Quaternion")(x=0.0, y=0.0, z=0.0, w=1.0),
        orientation_covariance=no_orientation,
        angular_velocity=vector(**dict(zip("xyz", map(float, sample.angular_velocity)))),
        angular_velocity_covariance=np.diag([gyro_variance] * 3).reshape(-1),
        linear_acceleration=vector(**dict(zip("xyz", map(float, sample.linear_acceleration)))),
        linear_acceleration_covariance=np.diag([accel_variance] * 3).reshape(-1))
