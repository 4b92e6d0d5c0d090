"""Default topic names of Taishan's graph; the live graph's remappings change them, replay and
the bag converters use them as they are.

Sensor inputs live under /sensors/<sensor name>/ (the vehicle config's sensor names); the graph's
own outputs under /taishan/; ground truth (simulated or dataset labels) under /ground_truth/.
"""
from __future__ import annotations

TF = "/tf"
TF_STATIC = "/tf_static"
CLOCK = "/clock"
DIAGNOSTICS = "/diagnostics"

OBJECTS = "/taishan/objects"                        # autoware_perception_msgs/TrackedObjects
OBJECTS_DETECTION3D = "/taishan/objects/detections"  # vision_msgs/Detection3DArray
OBJECTS_MARKERS = "/taishan/objects/markers"        # visualization_msgs/MarkerArray
EGO_ODOMETRY = "/taishan/ego/odometry"              # nav_msgs/Odometry

WHEEL_SPEED_SENSOR = "wheel_speed"                  # sensor id of the vehicle bus's wheel speed
WHEEL_SPEED = f"/sensors/{WHEEL_SPEED_SENSOR}/twist"  # geometry_msgs/TwistWithCovarianceStamped, base frame

GROUND_TRUTH_OBJECTS = "/ground_truth/objects"      # autoware_perception_msgs/TrackedObjects, map frame
GROUND_TRUTH_ODOMETRY = "/ground_truth/odometry"    # nav_msgs/Odometry, map -> base_link


def sensor_topic(sensor: str, what: str) -> str:
    """/sensors/<sensor>/<what>: what is points (PointCloud2), scan (RadarScan), detections
    (Detection2DArray / Detection3DArray), camera_info, imu, fix (NavSatFix) or twist (wheel speed)."""
    return f"/sensors/{sensor}/{what}"


def frontend_topic(sensor: str) -> str:
    """A front-end node's detections of one sensor, as the tracker node consumes them."""
    return f"/taishan/{sensor}/detections"


def objects_topic(sensor: str) -> str:
    """Objects a front-end makes of one sensor on its own (radar: clusters of moving returns)."""
    return f"/taishan/{sensor}/objects"
