"""The one place where KITTI's camera-rectified box convention meets Taishan's REP 103 frame.

KITTI rectified frame: x right, y down, z forward; a box is its bottom centre, h w l, and
rotation_y about the (downward) y axis, 0 pointing along +x. Taishan runs KITTI in `KITTI_FRAME`,
the same origin with REP 103 axes (x forward, y left, z up): boxes by volume centre, size l w h and
yaw about +z. There is no ego pose in the data, so this fixed sensor frame moves with the car.
"""
from __future__ import annotations

import numpy as np

from fusion.core.quaternion import wrap_angle

KITTI_FRAME = "kitti_rect_flu"

# p_flu = R_FLU_RECT @ p_rect
R_FLU_RECT = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


def rect_to_flu(points: np.ndarray) -> np.ndarray:
    return np.asarray(points, dtype=float) @ R_FLU_RECT.T


def flu_to_rect(points: np.ndarray) -> np.ndarray:
    return np.asarray(points, dtype=float) @ R_FLU_RECT


def kitti_to_flu_boxes(dimensions_hwl: np.ndarray, locations: np.ndarray, rotation_y: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KITTI boxes to (centres (N, 3) of the volume, sizes l w h (N, 3), yaws (N,)) in KITTI_FRAME."""
    dims = np.asarray(dimensions_hwl, dtype=float).reshape(-1, 3)
    bottom = rect_to_flu(np.asarray(locations, dtype=float).reshape(-1, 3))
    centers = bottom + np.column_stack([np.zeros((len(dims), 2)), dims[:, 0] / 2])
    return centers, dims[:, [2, 1, 0]], wrap_angle(-np.asarray(rotation_y, dtype=float) - np.pi / 2)


def flu_to_kitti_boxes(centers: np.ndarray, sizes_lwh: np.ndarray, yaws: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of kitti_to_flu_boxes: (dimensions h w l, bottom-centre locations, rotation_y)."""
    sizes = np.asarray(sizes_lwh, dtype=float).reshape(-1, 3)
    bottom = np.asarray(centers, dtype=float).reshape(-1, 3) - np.column_stack([np.zeros((len(sizes), 2)), sizes[:, 2] / 2])
    return sizes[:, [2, 1, 0]], flu_to_rect(bottom), wrap_angle(-np.asarray(yaws, dtype=float) - np.pi / 2)


def observation_angle(locations: np.ndarray, rotation_y: np.ndarray) -> np.ndarray:
    """KITTI's alpha: the object's heading relative to the ray from the camera to it."""
    locations = np.asarray(locations, dtype=float).reshape(-1, 3)
    return wrap_angle(np.asarray(rotation_y, dtype=float) - np.arctan2(locations[:, 0], locations[:, 2]))
