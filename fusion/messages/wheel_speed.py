"""geometry_msgs/TwistWithCovarianceStamped <-> WheelSpeed, as a vehicle-bus driver publishes wheel
odometry: the forward speed of base_link in twist.linear.x, in the base frame, its variance in
covariance[0] (0 = unknown: the estimator's configured std applies). The other twist components
are not measured by wheel speed and are ignored on input, zero on output."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from fusion.core.errors import InputError
from fusion.ego.wheel_speed import WheelSpeed
from fusion.messages.header import MessageTypes, make_header, read_header

COVARIANCE_SIZE = 36   # 6 x 6 over (vx, vy, vz, wx, wy, wz), row-major


def to_wheel_speed(msg: Any, sensor_id: str, base_frame: str, topic: str = "") -> WheelSpeed:
    """The forward speed and its std of a wheel-speed twist; raises InputError for a twist in
    another frame than base_frame, a non-finite speed or a negative / non-finite variance."""
    stamp_ns, frame_id, where = read_header(msg, "TwistWithCovarianceStamped", topic)
    if frame_id != base_frame:
        raise InputError(where, f"wheel speed in frame {frame_id!r}; it must be expressed in the base frame {base_frame!r}")
    covariance = np.asarray(msg.twist.covariance, dtype=float).reshape(-1)
    if covariance.size != COVARIANCE_SIZE:
        raise InputError(where, f"twist.covariance has {covariance.size} elements, expected {COVARIANCE_SIZE}")
    speed, variance = float(msg.twist.twist.linear.x), float(covariance[0])
    if not math.isfinite(speed):
        raise InputError(where, f"twist.linear.x (the speed) is {speed}")
    if not math.isfinite(variance) or variance < 0.0:
        raise InputError(where, f"twist.covariance[0] (the speed variance) must be finite and >= 0, got {variance}")
    return WheelSpeed(stamp_ns, frame_id, sensor_id, speed_mps=speed, std_mps=math.sqrt(variance))


def from_wheel_speed(types: MessageTypes, m: WheelSpeed) -> Any:
    covariance = np.zeros(COVARIANCE_SIZE)
    covariance[0] = m.std_mps**2
    vector = types("geometry_msgs/msg/Vector3")
    twist = types("geometry_msgs/msg/Twist")(linear=vector(x=float(m.speed_mps), y=0.0, z=0.0), angular=vector(x=0.0, y=0.0, z=0.0))
    return types("geometry_msgs/msg/TwistWithCovarianceStamped")(
        header=make_header(types, m.stamp_ns, m.frame_id),
        twist=types("geometry_msgs/msg/TwistWithCovariance")(twist=twist, covariance=covariance))
