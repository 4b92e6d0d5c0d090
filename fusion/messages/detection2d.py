"""vision_msgs/Detection2DArray <-> CameraDetections.

Each Detection2D has a bbox (centre, size_x, size_y, rotation theta) and a list of class
hypotheses (class_id string, score); the best-scoring hypothesis gives the class. Both message
generations are read: vision_msgs >= 4 (bbox.center.position.x, results[i].hypothesis.class_id)
and the older one (bbox.center.x, results[i].id / score). A class_id is an ObjectClass value
('1') or a name in any spelling ObjectClass.parse knows ('car', 'person'); detections of other
classes (a COCO 'traffic light') are not road users: they are skipped and counted per class.
"""
from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from typing import Any

import numpy as np

from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import CameraDetections
from fusion.messages.header import MessageTypes, make_header, read_header


def _centre(bbox: Any) -> tuple[float, float, float]:
    centre = bbox.center
    point = getattr(centre, "position", centre)
    return float(point.x), float(point.y), float(getattr(centre, "theta", 0.0))


def best_hypothesis(results: Any) -> tuple[str, float] | None:
    best = None
    for result in results:
        hypothesis = getattr(result, "hypothesis", result)
        class_id = getattr(hypothesis, "class_id", None)
        if class_id is None:
            class_id = getattr(hypothesis, "id")
        score = float(hypothesis.score)
        if best is None or score > best[1]:
            best = (str(class_id), score)
    return best


@lru_cache(maxsize=1024)
def object_class_of(class_id: str) -> ObjectClass | None:
    """The ObjectClass a class_id names (a value such as '1' or a name ObjectClass.parse knows), or None."""
    text = class_id.strip()
    if text.isdigit():
        return ObjectClass(int(text)) if int(text) in ObjectClass._value2member_map_ else None
    try:
        return ObjectClass.parse(text)
    except InputError:
        return None


def to_camera_detections(msg: Any, sensor_id: str, topic: str = "") -> tuple[CameraDetections, Counter]:
    """The array's detections as axis-aligned pixel boxes x1, y1, x2, y2 (a rotated bbox becomes the
    box enclosing it), and a Counter of skipped detections per class_id (no hypothesis counts as '')."""
    stamp_ns, frame_id, source = read_header(msg, "Detection2DArray", topic)
    rows, hypotheses = [], []
    for index, detection in enumerate(msg.detections):
        try:
            bbox = detection.bbox
            rows.append((*_centre(bbox), float(bbox.size_x), float(bbox.size_y)))
            hypotheses.append(best_hypothesis(detection.results))
        except AttributeError as exc:
            raise InputError(source, f"detection {index} is not a vision_msgs/Detection2D: {exc}") from None
    # Checked on the Python floats: for an image's few detections, cheaper than numpy's comparisons.
    bad = [not (0.0 <= size_x < math.inf and 0.0 <= size_y < math.inf and math.isfinite(cx) and math.isfinite(cy)
                and math.isfinite(theta)) for cx, cy, theta, size_x, size_y in rows]
    if any(bad):
        index = bad.index(True)
        cx, cy, theta, size_x, size_y = rows[index]
        raise InputError(source, f"detection {index} has a non-finite or negative bbox "
                                 f"(centre {cx}, {cy}, size {size_x} x {size_y}, theta {theta})")
    table = np.array(rows, dtype=float).reshape(-1, 5)   # centre x, y, theta, size x, y
    classes = [object_class_of(best[0]) if best else None for best in hypotheses]
    kept = [i for i, object_class in enumerate(classes) if object_class is not None]
    skipped = Counter(best[0] if best else "" for best, object_class in zip(hypotheses, classes) if object_class is None)
    if len(kept) < len(table):
        table = table[kept]
    centre, theta, extent = table[:, :2], table[:, 2], table[:, 3:] / 2
    if any(row[2] for row in rows):   # rotated bboxes (axis-aligned ones, the usual case, keep their half sizes)
        trig = np.abs(np.column_stack((np.cos(theta), np.sin(theta))))   # |cos|, |sin|
        extent = trig * extent[:, :1] + trig[:, ::-1] * extent[:, 1:]     # |cos| hx + |sin| hy, |sin| hx + |cos| hy
    detections = CameraDetections(stamp_ns, frame_id, sensor_id, boxes=np.concatenate((centre - extent, centre + extent), axis=1),
                                  classes=np.array([int(classes[i]) for i in kept], dtype=np.int64),
                                  scores=np.array([hypotheses[i][1] for i in kept], dtype=float))
    return detections, skipped


def from_camera_detections(types: MessageTypes, detections: CameraDetections) -> Any:
    """A Detection2DArray (vision_msgs >= 4 layout): axis-aligned boxes, one hypothesis each whose
    class_id is the class name."""
    T = types
    header = make_header(T, detections.stamp_ns, detections.frame_id)
    point, pose2d, box = T("vision_msgs/msg/Point2D"), T("vision_msgs/msg/Pose2D"), T("vision_msgs/msg/BoundingBox2D")
    hypothesis, with_pose, detection = (T("vision_msgs/msg/ObjectHypothesis"), T("vision_msgs/msg/ObjectHypothesisWithPose"),
                                        T("vision_msgs/msg/Detection2D"))
    out = []
    for (x1, y1, x2, y2), c, s in zip(detections.boxes.tolist(), detections.classes.tolist(), detections.scores.tolist()):
        centre = pose2d(position=point(x=(x1 + x2) / 2, y=(y1 + y2) / 2), theta=0.0)
        result = with_pose(hypothesis=hypothesis(class_id=ObjectClass(c).name.lower(), score=s))
        out.append(detection(header=header, results=[result], id="", bbox=box(center=centre, size_x=x2 - x1, size_y=y2 - y1)))
    return T("vision_msgs/msg/Detection2DArray")(header=header, detections=out)
