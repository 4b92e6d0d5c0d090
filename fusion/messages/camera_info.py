"""sensor_msgs/CameraInfo <-> PinholeCamera."""
from __future__ import annotations

from typing import Any

import numpy as np

from fusion.core.errors import InputError
from fusion.messages.header import MessageTypes, make_header, read_header
from sensors.camera.pinhole import PinholeCamera


def to_camera(msg: Any, rectified: bool = False, topic: str = "") -> PinholeCamera:
    """The camera model of a CameraInfo. rectified=True describes the rectified image (image_rect):
    the intrinsics come from P and there is no distortion; otherwise K and D (plumb_bob) describe
    the raw image. An all-zero K (an uncalibrated camera) or an empty image is an InputError
    naming the topic and frame."""
    _, frame_id, source = read_header(msg, "CameraInfo", topic)
    try:
        if rectified:
            p = np.asarray(msg.p, dtype=float).reshape(-1)
            if p.size != 12:
                raise InputError(source, f"P must have 12 values, got {p.size}")
            return PinholeCamera.from_camera_info(int(msg.width), int(msg.height), p.reshape(3, 4)[:, :3], None, "none", frame_id)
        return PinholeCamera.from_camera_info(int(msg.width), int(msg.height), np.asarray(msg.k, dtype=float),
                                              np.asarray(msg.d, dtype=float), str(msg.distortion_model), frame_id)
    except InputError as exc:
        raise InputError(source, exc.reason) from None


def from_camera(types: MessageTypes, camera: PinholeCamera, stamp_ns: int) -> Any:
    """The CameraInfo of a raw (distorted, plumb_bob) image: K and D, identity R, P = [K | 0]."""
    k = np.asarray(camera.K, dtype=float)
    p = np.zeros((3, 4))
    p[:, :3] = k
    return types("sensor_msgs/msg/CameraInfo")(
        header=make_header(types, stamp_ns, camera.frame_id), height=int(camera.height), width=int(camera.width),
        distortion_model="plumb_bob", d=np.asarray(camera.distortion, dtype=float), k=k.reshape(9),
        r=np.eye(3).reshape(9), p=p.reshape(12))
