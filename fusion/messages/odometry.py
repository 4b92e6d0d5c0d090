"""nav_msgs/Odometry <-> fusion.ego.state.Odometry (the same semantics: pose of child_frame_id in
frame_id, twist in child_frame_id axes, 6x6 covariances in ROS order)."""
from __future__ import annotations

from typing import Any

import numpy as np

from fusion.core.errors import InputError
from fusion.ego.state import Odometry
from fusion.messages.header import MessageTypes, header_frame_id, header_stamp_ns, make_header
from fusion.messages.tf import StampedTransform, pose_fields


def from_odometry(types: MessageTypes, odom: Odometry) -> Any:
    T = types
    position, orientation = pose_fields(T, odom.position, odom.orientation, "Point")
    vector = T("geometry_msgs/msg/Vector3")
    return T("nav_msgs/msg/Odometry")(
        header=make_header(T, odom.stamp_ns, odom.frame_id), child_frame_id=odom.child_frame_id,
        pose=T("geometry_msgs/msg/PoseWithCovariance")(
            pose=T("geometry_msgs/msg/Pose")(position=position, orientation=orientation),
            covariance=np.asarray(odom.pose_covariance, dtype=float).reshape(36)),
        twist=T("geometry_msgs/msg/TwistWithCovariance")(
            twist=T("geometry_msgs/msg/Twist")(linear=vector(**dict(zip("xyz", map(float, odom.linear_velocity)))),
                                               angular=vector(**dict(zip("xyz", map(float, odom.angular_velocity))))),
            covariance=np.asarray(odom.twist_covariance, dtype=float).reshape(36)))


def to_odometry(msg: Any, topic: str = "") -> Odometry:
    where = f"Odometry on {topic!r}" if topic else "Odometry"
    p, q = msg.pose.pose.position, msg.pose.pose.orientation
    v, w = msg.twist.twist.linear, msg.twist.twist.angular
    values = np.array([p.x, p.y, p.z, q.x, q.y, q.z, q.w, v.x, v.y, v.z, w.x, w.y, w.z], dtype=float)
    if not np.all(np.isfinite(values)):
        raise InputError(where, "pose or twist has a non-finite value")
    if np.linalg.norm(values[3:7]) < 1e-6:
        raise InputError(where, "orientation quaternion is zero")
    child = str(msg.child_frame_id)
    if not child:
        raise InputError(where, "child_frame_id is empty")
    return Odometry(header_stamp_ns(msg.header, where), header_frame_id(msg.header, where), child,
                    position=values[0:3], orientation=values[3:7] / np.linalg.norm(values[3:7]),
                    pose_covariance=np.asarray(msg.pose.covariance, dtype=float).reshape(6, 6),
                    linear_velocity=values[7:10], angular_velocity=values[10:13],
                    twist_covariance=np.asarray(msg.twist.covariance, dtype=float).reshape(6, 6))


def odometry_transform(odom: Odometry) -> StampedTransform:
    """The odometry's pose as the tf edge frame_id -> child_frame_id (map -> base_link)."""
    return StampedTransform(odom.frame_id, odom.child_frame_id, odom.stamp_ns, odom.transform())
