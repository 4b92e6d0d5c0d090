"""The QoS profiles recorded with each topic, as `ros2 bag record` would offer them, so that
`ros2 bag play` and `taishan replay --publish` republish with the right durability and reliability."""
from __future__ import annotations

from rosbags.interfaces import Qos, QosDurability, QosHistory, QosLiveliness, QosReliability, QosTime

_UNSPECIFIED = QosTime(0, 0)   # "use the default" in rmw; Humble and Jazzy both read it that way


def _profile(reliability: QosReliability, durability: QosDurability, depth: int) -> Qos:
    return Qos(QosHistory.KEEP_LAST, depth, reliability, durability, _UNSPECIFIED, _UNSPECIFIED,
               QosLiveliness.AUTOMATIC, _UNSPECIFIED, False)


SENSOR_DATA = _profile(QosReliability.BEST_EFFORT, QosDurability.VOLATILE, 5)
RELIABLE = _profile(QosReliability.RELIABLE, QosDurability.VOLATILE, 10)
LATCHED = _profile(QosReliability.RELIABLE, QosDurability.TRANSIENT_LOCAL, 1)

# Message types that carry raw sensor data and are offered best effort, as drivers do.
_SENSOR_TYPES = {
    "sensor_msgs/msg/PointCloud2", "sensor_msgs/msg/Image", "sensor_msgs/msg/CameraInfo", "sensor_msgs/msg/CompressedImage",
    "sensor_msgs/msg/Imu", "sensor_msgs/msg/NavSatFix", "radar_msgs/msg/RadarScan",
}


def offered_qos(topic: str, msgtype: str) -> Qos:
    """/tf_static is latched (transient local); raw sensor data is best effort; everything else
    (detections, object lists, odometry, diagnostics, ground truth) is reliable."""
    if topic.endswith("/tf_static"):
        return LATCHED
    if msgtype in _SENSOR_TYPES:
        return SENSOR_DATA
    return RELIABLE
