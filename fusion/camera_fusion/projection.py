"""3D boxes seen through a calibrated camera: the image rectangle that encloses each projected box."""
from __future__ import annotations

import numpy as np

from fusion.core.boxes import box_corners
from fusion.core.transform import Transform
from sensors.camera.pinhole import PinholeCamera


def project_boxes_3d(camera: PinholeCamera, T_camera_frame: Transform, centers: np.ndarray, sizes: np.ndarray,
                     yaws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image boxes x1 y1 x2 y2 (N, 4), clipped to the image, of 3D boxes given in the frame that
    T_camera_frame maps into the camera's optical frame; and a mask of boxes entirely in front of
    the camera with a non-empty clipped image box."""
    n = len(np.atleast_1d(yaws))
    if n == 0:
        return np.zeros((0, 4)), np.zeros(0, dtype=bool)
    corners = T_camera_frame.apply(box_corners(centers, sizes, yaws).reshape(-1, 3)).reshape(n, 8, 3)
    boxes, in_front = camera.project_boxes(corners)
    visible = in_front & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes, visible
