"""QoS of the live graph: sensor-data QoS (best effort, shallow) for raw sensor inputs, reliable for
everything the graph itself publishes and consumes (detections, odometry, the object list),
transient local for latched outputs. Each is configurable per topic through ROS 2's standard QoS
overrides, e.g. in a params file:

    qos_overrides:
      /taishan/objects:
        publisher: {reliability: best_effort, depth: 5}
"""
from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSPolicyKind, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from rclpy.qos_overriding_options import QoSOverridingOptions

RELIABLE_DEPTH = 10


def input_qos(sensor_data: bool) -> QoSProfile:
    if sensor_data:
        return _copy(qos_profile_sensor_data)
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=RELIABLE_DEPTH, reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


def output_qos(latched: bool) -> QoSProfile:
    if latched:
        return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.RELIABLE,
                          durability=DurabilityPolicy.TRANSIENT_LOCAL)
    return input_qos(sensor_data=False)


def _copy(profile: QoSProfile) -> QoSProfile:
    return QoSProfile(history=profile.history, depth=profile.depth, reliability=profile.reliability,
                      durability=profile.durability)


def overridable() -> QoSOverridingOptions:
    """History, depth, reliability and durability may be overridden per topic by parameters."""
    return QoSOverridingOptions([QoSPolicyKind.HISTORY, QoSPolicyKind.DEPTH, QoSPolicyKind.RELIABILITY,
                                 QoSPolicyKind.DURABILITY])
