"""Encoders for vision_msgs/Detection2DArray, radar_msgs/RadarScan and sensor_msgs/CameraInfo,
the inverses of detection2d.to_camera_detections, radar_scan.to_radar_detections and
camera_info.to_camera. (They belong beside those decoders; they were written apart because those
modules had another owner at the time.)"""
from __future__ import annotations

from typing import Any

import numpy as np

from fusion.core.classes import ObjectClass
from fusion.core.measurements import CameraDetections, RadarDetections
from fusion.messages.header import MessageTypes, make_header
from sensors.camera.pinhole import PinholeCamera


def from_camera_detections(types: MessageTypes, detections: CameraDetections) -> Any:
    """A Detection2DArray (vision_msgs >= 4 layout): axis-aligned boxes, one hypothesis each whose
    class_id is the class name."""
    T = types
    header = make_header(T, detections.stamp_ns, detections.frame_id)
    point, pose2d, box = T("vision_msgs/msg/Point2D"), T("vision_msgs/msg/Pose2D"), T("vision_msgs/msg/BoundingBox2D")
    hypothesis, with_pose, detection = (T("vision_msgs/msg/ObjectHypothesis"), T("vision_msgs/msg/ObjectHypothesisWithPose"),
                                        T("vision_msgs/msg/Detection2D"))
    out = []
    for (x1, y1, x2, y2), c, s in zip(detections.boxes, detections.classes, detections.scores):
        centre = pose2d(position=point(x=float(x1 + x2) / 2, y=float(y1 + y2) / 2), theta=0.0)
        result = with_pose(hypothesis=hypothesis(class_id=ObjectClass(int(c)).name.lower(), score=float(s)))
        out.append(detection(header=header, results=[result], id="",
                             bbox=box(center=centre, size_x=float(x2 - x1), size_y=float(y2 - y1))))
    return T("vision_msgs/msg/Detection2DArray")(header=header, detections=out)


def from_radar_detections(types: MessageTypes, detections: RadarDetections) -> Any:
    """A RadarScan; rcs [dBsm] becomes the return's amplitude [dB]."""
    ret = types("radar_msgs/msg/RadarReturn")
    returns = [ret(range=float(r), azimuth=float(a), elevation=float(e), doppler_velocity=float(v), amplitude=float(p))
               for r, a, e, v, p in zip(detections.range, detections.azimuth, detections.elevation,
                                        detections.range_rate, detections.rcs)]
    return types("radar_msgs/msg/RadarScan")(header=make_header(types, detections.stamp_ns, detections.frame_id), returns=returns)


def from_camera(types: MessageTypes, camera: PinholeCamera, stamp_ns: int) -> Any:
    """The CameraInfo of a raw (distorted, plumb_bob) image: K and D, identity R, P = [K | 0]."""
    k = np.asarray(camera.K, dtype=float)
    p = np.zeros((3, 4))
    p[:, :3] = k
    return types("sensor_msgs/msg/CameraInfo")(
        header=make_header(types, stamp_ns, camera.frame_id), height=int(camera.height), width=int(camera.width),
        distortion_model="plumb_bob", d=np.asarray(camera.distortion, dtype=float), k=k.reshape(9),
        r=np.eye(3).reshape(9), p=p.reshape(12))
