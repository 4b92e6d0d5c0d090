"""The camera front-end node: an upstream detector's Detection2DArray, checked against the camera
(frame, image bounds) and passed to the tracker; CameraInfo, when published, replaces the
configured intrinsics for those checks. Boxes entirely outside the image are dropped (counted),
the others clipped to it."""
from __future__ import annotations

from typing import Any

import numpy as np

from fusion.config.vehicle import CameraConfig
from fusion.core.errors import UnknownFrameError
from fusion.core.measurements import CameraDetections
from fusion.graph.node import NodeCore, Output
from fusion.graph.topics import frontend_topic, sensor_topic
from fusion.messages import camera_info, detection2d
from fusion.messages.header import read_header
from sensors.camera.pinhole import PinholeCamera


class CameraNode(NodeCore):
    def __init__(self, sensor_id: str, sensor: CameraConfig):
        super().__init__(f"camera_{sensor_id}")
        self.sensor_id, self.sensor = sensor_id, sensor
        self.camera = PinholeCamera.from_config(sensor.intrinsics, sensor.frame_id)
        self.add_input(sensor_topic(sensor_id, "detections"), {"vision_msgs/msg/Detection2DArray": self._decode_detections})
        self._info_key: tuple | None = None   # the CameraInfo content self._info_camera was made from
        self._info_camera: PinholeCamera | None = None
        self.add_input(sensor_topic(sensor_id, "camera_info"), {"sensor_msgs/msg/CameraInfo": self._decode_camera_info})
        self.add_output(frontend_topic(sensor_id), "vision_msgs/msg/Detection2DArray", detection2d.from_camera_detections)

    def _decode_detections(self, msg: Any, topic: str) -> CameraDetections:
        detections, skipped = detection2d.to_camera_detections(msg, self.sensor_id, topic)
        for class_id, count in skipped.items():
            self.diagnostics.dropped(topic, f"class {class_id!r} is not a road user", count=count)
        return detections

    def _decode_camera_info(self, msg: Any, topic: str) -> PinholeCamera:
        """The camera of a CameraInfo, from P (the rectified image the detections are in). Drivers
        repeat an unchanged CameraInfo with every image: while it stays the same (frame, size, P),
        the camera made from it is reused rather than made and checked again."""
        _, frame_id, _ = read_header(msg, "CameraInfo", topic)
        key = (frame_id, msg.width, msg.height, np.asarray(msg.p, dtype=float).tobytes())
        if key != self._info_key:
            self._info_camera = camera_info.to_camera(msg, rectified=True, topic=topic)
            self._info_key = key
        return self._info_camera

    def _process(self, topic: str, data: Any, now_ns: int) -> list[Output]:
        frame = data.frame_id
        if frame != self.sensor.frame_id:
            raise UnknownFrameError(f"frame {frame!r}", f"{self.name} expects frame {self.sensor.frame_id!r}")
        if isinstance(data, PinholeCamera):
            self.camera = data
            return []
        width, height = self.camera.width, self.camera.height
        boxes, classes, scores = data.boxes, data.classes, data.scores
        # Per box on Python floats: for a camera's few boxes, cheaper than four numpy comparisons.
        inside = [x2 > 0 and x1 < width and y2 > 0 and y1 < height for x1, y1, x2, y2 in boxes.tolist()]
        if not all(inside):
            self.diagnostics.dropped(topic, f"box outside the {width}x{height} image", count=inside.count(False))
            boxes, classes, scores = boxes[inside], classes[inside], scores[inside]
        clipped = np.minimum(np.maximum(boxes, 0.0), (width, height, width, height))
        kept = CameraDetections(data.stamp_ns, frame, self.sensor_id, boxes=clipped, classes=classes, scores=scores)
        return [Output(frontend_topic(self.sensor_id), data.stamp_ns, kept)]
