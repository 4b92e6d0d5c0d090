"""Checks of fusion.ros.wire and the encoders under real rclpy; runs INSIDE .venv-ros, in the private
network namespace (started by test_wire.py; not collected by pytest: it imports rclpy). Prints one
line `FINDINGS {json}`:

- diagnostics: the DiagnosticStatus level an encoder stores in rclpy's unchecked classes, and the
  levels read back after rclpy serializes them (by rclpy and by rosbags);
- codecs: which codec the nodes' endpoints get for the graph's hot message types (from the type hash
  rclpy reports for a real publisher and a real raw subscription);
- interop: an object list and a box array encoded by rclpy's classes and serialized by rclpy, read by
  the rosbags codec, and the other way round: the largest difference of any value;
- composition: taishan_fusion_node's node (lidar front-end and tracker cores) given detections and
  /tf as its subscription callbacks would: which topics it subscribes to, and the tracker's counts
  of lidar detections accepted and object lists made.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import rclpy
from rclpy.node import Node
from rclpy.serialization import deserialize_message, serialize_message

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from datasets.bags.typestore import default_typestore  # noqa: E402
from fusion.config.loader import config_dir, load_config  # noqa: E402
from fusion.config.vehicle import VehicleConfig  # noqa: E402
from fusion.core.measurements import Boxes3D  # noqa: E402
from fusion.core.objects import ObjectList  # noqa: E402
from fusion.core.transform import Transform  # noqa: E402
from fusion.graph.diagnostics import Level, Report, Status  # noqa: E402
from fusion.messages import detection3d, diagnostics, tf, tracked_objects  # noqa: E402
from fusion.messages.tf import StampedTransform  # noqa: E402
from fusion.ros.adapter import CoreNode  # noqa: E402
from fusion.ros.fusion_node import FusionNodeSettings, build  # noqa: E402
from fusion.ros.message_types import ros_type  # noqa: E402
from fusion.ros.wire import codec, endpoint_type_hash  # noqa: E402
from fusion.tracking.config import TrackerConfig  # noqa: E402
from fusion.tracking.tracker import MultiObjectTracker  # noqa: E402
from sensors.lidar.detector import LidarDetectorConfig  # noqa: E402
from sensors.radar.frontend import RadarFrontEndConfig  # noqa: E402

OBJECTS, BOXES, DIAGNOSTICS = ("autoware_perception_msgs/msg/TrackedObjects", "vision_msgs/msg/Detection3DArray",
                               "diagnostic_msgs/msg/DiagnosticArray")


def tracked_object_list() -> ObjectList:
    """What the tracker makes of three moving boxes seen in six frames (tentative tracks included):
    velocities, rotated covariances and class probabilities that are not trivial."""
    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    tracker = MultiObjectTracker(TrackerConfig(), vehicle, vehicle.transform_tree())
    t0, starts = 1_700_000_000_000_000_000, np.array([[12.0, 2.0, -1.0], [25.0, -5.0, -1.0], [40.0, 6.0, -1.0]])
    for k in range(6):
        stamp = t0 + k * 100_000_000
        tracker.tree.add_dynamic("map", "base_link", stamp, Transform.identity())
        tracker.step(Boxes3D(stamp, "lidar_top", "lidar_top", centers=starts + [[0.8 * k, 0.1 * k, 0.0]] * 3,
                             sizes=[[4.0, 1.8, 1.5], [4.5, 1.9, 1.6], [0.8, 0.8, 1.8]], yaws=[0.1, -0.4, 1.2],
                             classes=[1, 2, 7], scores=[0.9, 0.7, 0.6]))
    return tracker.object_list(include_tentative=True)


def largest_difference(a: ObjectList, b: ObjectList) -> float:
    names = ("track_ids", "classes", "class_probabilities", "position", "velocity", "acceleration", "yaw", "yaw_rate",
             "pose_covariance", "twist_covariance", "size", "existence_probability")
    return max(float(np.max(np.abs(np.asarray(getattr(a, k), float) - np.asarray(getattr(b, k), float)))) for k in names)


def diagnostics_findings() -> dict:
    report = Report(5_000_000_000, [Status(f"node {level.name}", level, "msg", "hw", {"k": "v"}) for level in Level])
    msg = diagnostics.from_report(ros_type, report)      # unchecked classes: a wrong type would not raise here
    raw = serialize_message(msg)
    by_rclpy = diagnostics.to_report(deserialize_message(raw, ros_type(DIAGNOSTICS)))
    by_rosbags = diagnostics.to_report(default_typestore().deserialize_cdr(bytes(raw), DIAGNOSTICS))
    return {"level_types": sorted({type(s.level).__name__ for s in msg.status}),
            "sent": [int(s.level) for s in report.statuses],
            "read_by_rclpy": [int(s.level) for s in by_rclpy.statuses],
            "read_by_rosbags": [int(s.level) for s in by_rosbags.statuses]}


def composition_findings() -> dict:
    node = CoreNode("taishan_fusion_check", FusionNodeSettings, [TrackerConfig, LidarDetectorConfig, RadarFrontEndConfig], build)
    try:
        stamp = node.now_ns()
        boxes = Boxes3D(stamp, "lidar_top", "lidar_top", centers=[[12.0, 1.0, 0.0], [20.0, -3.0, 0.0]], sizes=[[4.0, 1.8, 1.5]] * 2,
                        yaws=[0.0, 0.5], classes=[1, 1], scores=[0.9, 0.8])
        node.on_message("/tf", "tf2_msgs/msg/TFMessage",
                        tf.from_transforms(ros_type, [StampedTransform("map", "base_link", stamp, Transform.identity())]))
        node.on_message("/sensors/lidar_top/detections", "vision_msgs/msg/Detection3DArray", detection3d.from_boxes3d(ros_type, boxes))
        values = {s.name.split(": ", 1)[1]: s.values for s in node.statuses(node.now_ns())}
        return {"cores": sorted(values), "subscribed": sorted(s.topic_name for s in node.subscriptions),
                "tracker_accepted": int(values["tracker"]["/taishan/lidar_top/detections accepted"]),
                "object_lists": int(values["tracker"]["/taishan/objects not published (no subscriber)"])}
    finally:
        node.destroy_node()


def main() -> int:
    findings: dict = {"diagnostics": diagnostics_findings(), "codecs": {}, "interop": {}}
    rclpy.init(args=["wire_checks", "--ros-args", "-p", "lidar_input:=detections", "-p", "objects_trigger:=input",
                     "-p", "timing.reorder_window_s:=0.0", "-p", "node.camera:=false", "-p", "node.radar:=false"])
    findings["composition"] = composition_findings()
    node = Node("taishan_wire_checks")
    try:
        for msgtype in (OBJECTS, BOXES, DIAGNOSTICS):
            topic = msgtype.rsplit("/", 1)[-1].lower()
            publisher = node.create_publisher(ros_type(msgtype), f"pub_{topic}", 10)
            subscription = node.create_subscription(ros_type(msgtype), f"sub_{topic}", lambda raw: None, 10, raw=True)
            findings["codecs"][msgtype] = {
                "publisher": codec(msgtype, endpoint_type_hash(node, publisher.topic_name, msgtype, True)).kind,
                "subscription": codec(msgtype, endpoint_type_hash(node, subscription.topic_name, msgtype, False)).kind}
        wire_objects = codec(OBJECTS, endpoint_type_hash(node, node.resolve_topic_name("pub_trackedobjects"), OBJECTS, True))
        wire_boxes = codec(BOXES, endpoint_type_hash(node, node.resolve_topic_name("pub_detection3darray"), BOXES, True))
    finally:
        node.destroy_node()
        rclpy.shutdown()
    ol = tracked_object_list()
    findings["interop"]["objects"] = len(ol)
    from_rclpy = wire_objects.deserialize(serialize_message(tracked_objects.from_object_list(ros_type, ol)))
    to_rclpy = deserialize_message(wire_objects.serialize(tracked_objects.from_object_list(wire_objects.types, ol)), ros_type(OBJECTS))
    findings["interop"]["objects rclpy -> rosbags"] = largest_difference(tracked_objects.to_object_list(from_rclpy), ol)
    findings["interop"]["objects rosbags -> rclpy"] = largest_difference(tracked_objects.to_object_list(to_rclpy), ol)
    boxes = Boxes3D(7, "lidar_top", "lidar_top", centers=ol.position, sizes=ol.size, yaws=ol.yaw, classes=ol.classes,
                    scores=ol.existence_probability)
    for label, msg in (("boxes rclpy -> rosbags", wire_boxes.deserialize(serialize_message(detection3d.from_boxes3d(ros_type, boxes)))),
                       ("boxes rosbags -> rclpy", deserialize_message(wire_boxes.serialize(detection3d.from_boxes3d(wire_boxes.types, boxes)),
                                                                      ros_type(BOXES)))):
        back, _ = detection3d.to_boxes3d(msg, "lidar_top")
        findings["interop"][label] = max(float(np.max(np.abs(back.centers - boxes.centers))),
                                         float(np.max(np.abs(np.cos(back.yaws - boxes.yaws) - 1.0))),
                                         float(np.max(np.abs(back.scores - boxes.scores))))
    print("FINDINGS " + json.dumps(findings), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
