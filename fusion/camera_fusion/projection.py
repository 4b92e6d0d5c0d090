"""3D boxes seen through a calibrated camera: the image rectangle that encloses each projected box."""
from __future__ import annotations

import numpy as np

from fusion.core.boxes import box_corners
from fusion.core.transform import Transform
from sensors.camera.pinhole import PinholeCamera


class BoxProjector:
    """Projects boxes given in one frame into a camera; T_camera_frame maps that frame's points into
    the camera's optical frame (its rotation matrix is computed once, for per-frame use)."""

    def __init__(self, camera: PinholeCamera, T_camera_frame: Transform):
        self.camera = camera
        self.rotation_t = T_camera_frame.rotation_matrix.T
        self.translation = T_camera_frame.translation

    def __call__(self, centers: np.ndarray, sizes: np.ndarray, yaws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image boxes x1 y1 x2 y2 (N, 4), clipped to the image, of boxes (volume centre, size l w h,
        yaw about z); and a mask of boxes entirely in front of the camera with a non-empty clipped box."""
        n = len(np.atleast_1d(yaws))
        if n == 0:
            return np.zeros((0, 4)), np.zeros(0, dtype=bool)
        corners = box_corners(centers, sizes, yaws) @ self.rotation_t + self.translation
        boxes, in_front = self.camera.project_boxes(corners)
        visible = in_front & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        return boxes, visible


def project_boxes_3d(camera: PinholeCamera, T_camera_frame: Transform, centers: np.ndarray, sizes: np.ndarray,
                     yaws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BoxProjector(camera, T_camera_frame)(centers, sizes, yaws), for a one-off projection."""
    return BoxProjector(camera, T_camera_frame)(centers, sizes, yaws)
