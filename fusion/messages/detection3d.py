"""vision_msgs/Detection3DArray <-> oriented 3D boxes.

The array carries a 3D detector's boxes (Boxes3D, e.g. a lidar detector's output) and, for generic
consumers, the tracked object list. A Detection3D's bbox centre is the box's volume centre, its
orientation a yaw about z, its size length x width x height; the best class hypothesis gives the
class (an ObjectClass value or name), its score the score; `id` carries a track id when there is one.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np

from fusion.core import quaternion as quat
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import Boxes3D
from fusion.messages.detection2d import best_hypothesis, object_class_of
from fusion.messages.header import MessageTypes, make_header, read_header


_PLANAR = np.array([0, 1, 2, 5])   # x, y, z, yaw of ROS's x, y, z, roll, pitch, yaw
_CLASS_IDS = {int(c): c.name.lower() for c in ObjectClass}   # the class_id written for each class


def covariance_6x6(covariance_4x4: np.ndarray) -> np.ndarray:
    """(N, 4, 4) covariances over x, y, z, yaw (or their rates) as ROS's (N, 36) row-major 6x6 over
    x, y, z, roll, pitch, yaw; roll and pitch are not estimated (upright objects) and stay zero."""
    n = len(covariance_4x4)
    out = np.zeros((n, 6, 6))
    out[:, _PLANAR[:, None], _PLANAR[None, :]] = covariance_4x4
    return out.reshape(n, 36)


def covariance_4x4(covariance_36: np.ndarray) -> np.ndarray:
    """The inverse of covariance_6x6: (N, 36) -> (N, 4, 4) over x, y, z, yaw."""
    return np.asarray(covariance_36, dtype=float).reshape(-1, 6, 6)[:, _PLANAR[:, None], _PLANAR[None, :]]


def encode(types: MessageTypes, stamp_ns: int, frame_id: str, centers: np.ndarray, sizes: np.ndarray,
           yaws: np.ndarray, classes: np.ndarray, scores: np.ndarray, ids: Sequence[str] | None = None,
           pose_covariances: np.ndarray | None = None) -> Any:
    """A Detection3DArray; pose_covariances are (N, 36) or None (zero, unknown). The arrays are
    turned into Python numbers once (tolist) and each message is built in one call with all its
    fields, which is what costs least with rclpy's classes and rosbags' alike."""
    n = len(centers)
    header = make_header(types, stamp_ns, frame_id)
    rotations = quat.from_rpy(np.zeros(n), np.zeros(n), np.asarray(yaws, dtype=float)).reshape(-1, 4)
    table = np.column_stack([np.asarray(centers, dtype=float).reshape(-1, 3), rotations,
                             np.asarray(sizes, dtype=float).reshape(-1, 3), np.asarray(scores, dtype=float)]).tolist()
    covariances = (np.ascontiguousarray(pose_covariances, dtype=float) if pose_covariances is not None else np.zeros((n, 36)))
    names = [_CLASS_IDS[c] for c in np.asarray(classes, dtype=np.int64).tolist()]
    point, quaternion, pose_t, pwc, vector = (types("geometry_msgs/msg/Point"), types("geometry_msgs/msg/Quaternion"),
                                              types("geometry_msgs/msg/Pose"), types("geometry_msgs/msg/PoseWithCovariance"),
                                              types("geometry_msgs/msg/Vector3"))
    hypothesis, with_pose = types("vision_msgs/msg/ObjectHypothesis"), types("vision_msgs/msg/ObjectHypothesisWithPose")
    detection, box = types("vision_msgs/msg/Detection3D"), types("vision_msgs/msg/BoundingBox3D")
    detections = []
    for i, (x, y, z, qx, qy, qz, qw, length, width, height, score) in enumerate(table):
        pose = pose_t(position=point(x=x, y=y, z=z), orientation=quaternion(x=qx, y=qy, z=qz, w=qw))
        result = with_pose(hypothesis=hypothesis(class_id=names[i], score=score), pose=pwc(pose=pose, covariance=covariances[i]))
        detections.append(detection(header=header, results=[result], id="" if ids is None else ids[i],
                                    bbox=box(center=pose, size=vector(x=length, y=width, z=height))))
    return types("vision_msgs/msg/Detection3DArray")(header=header, detections=detections)


def from_boxes3d(types: MessageTypes, boxes: Boxes3D) -> Any:
    return encode(types, boxes.stamp_ns, boxes.frame_id, boxes.centers, boxes.sizes, boxes.yaws, boxes.classes, boxes.scores)


def to_boxes3d(msg: Any, sensor_id: str, topic: str = "") -> tuple[Boxes3D, Counter]:
    """The array's boxes as Boxes3D (yaw from the bbox orientation), and a Counter of detections
    skipped per class_id because they are not road users."""
    stamp_ns, frame_id, source = read_header(msg, "Detection3DArray", topic)
    rows, classes, scores, skipped = [], [], [], Counter()
    for index, det in enumerate(msg.detections):
        try:
            c, q, s = det.bbox.center.position, det.bbox.center.orientation, det.bbox.size
            row = [c.x, c.y, c.z, s.x, s.y, s.z, q.x, q.y, q.z, q.w]
            best = best_hypothesis(det.results)
        except AttributeError as exc:
            raise InputError(source, f"detection {index} is not a vision_msgs/Detection3D: {exc}") from None
        object_class = object_class_of(best[0]) if best else None
        if object_class is None:
            skipped[best[0] if best else ""] += 1
            continue
        rows.append(row)
        classes.append(int(object_class))
        scores.append(best[1])
    table = np.asarray(rows, dtype=float).reshape(-1, 10)
    if np.count_nonzero(np.isfinite(table)) < table.size:
        raise InputError(source, f"detection {int(np.argwhere(~np.isfinite(table))[0, 0])} has a non-finite bbox value")
    norms = np.linalg.norm(table[:, 6:], axis=1)
    if np.count_nonzero(norms < 1e-6):
        raise InputError(source, f"detection {int(np.argmax(norms < 1e-6))} has a zero orientation quaternion")
    yaws = quat.to_yaw(table[:, 6:] / norms[:, None])
    boxes = Boxes3D(stamp_ns, frame_id, sensor_id, centers=table[:, :3], sizes=table[:, 3:6], yaws=yaws,
                    classes=np.asarray(classes, dtype=np.int64), scores=np.asarray(scores, dtype=float))
    return boxes, skipped
