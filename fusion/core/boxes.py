"""Oriented 3D box geometry shared by the simulator, the lidar front-end and the tracker."""
from __future__ import annotations

import numpy as np

# Corner signs (x: length, y: width, z: height) in the box frame, bottom face first (counter-clockwise
# seen from above, starting front-left), then the top face in the same order.
_CORNER_SIGNS = np.array(
    [[1, 1, -1], [-1, 1, -1], [-1, -1, -1], [1, -1, -1], [1, 1, 1], [-1, 1, 1], [-1, -1, 1], [1, -1, 1]],
    dtype=float,
) * 0.5


def box_corners(centers: np.ndarray, sizes: np.ndarray, yaws: np.ndarray) -> np.ndarray:
    """Corners (N, 8, 3) of boxes given by volume centre (N, 3), size l, w, h (N, 3) and yaw about z (N,)."""
    centers = np.atleast_2d(np.asarray(centers, dtype=float))
    sizes = np.atleast_2d(np.asarray(sizes, dtype=float))
    yaws = np.atleast_1d(np.asarray(yaws, dtype=float))
    local = _CORNER_SIGNS[None, :, :] * sizes[:, None, :]
    c, s = np.cos(yaws)[:, None], np.sin(yaws)[:, None]
    x = c * local[..., 0] - s * local[..., 1]
    y = s * local[..., 0] + c * local[..., 1]
    return np.stack([x, y, local[..., 2]], axis=-1) + centers[:, None, :]


def points_in_boxes(points: np.ndarray, centers: np.ndarray, sizes: np.ndarray, yaws: np.ndarray) -> np.ndarray:
    """Boolean (N_boxes, N_points): which points lie inside which box."""
    points = np.asarray(points, dtype=float)
    d = points[None, :, :] - np.asarray(centers, dtype=float)[:, None, :]
    c, s = np.cos(yaws)[:, None], np.sin(yaws)[:, None]
    local_x = c * d[..., 0] + s * d[..., 1]
    local_y = -s * d[..., 0] + c * d[..., 1]
    half = np.asarray(sizes, dtype=float)[:, None, :] * 0.5
    return (np.abs(local_x) <= half[..., 0]) & (np.abs(local_y) <= half[..., 1]) & (np.abs(d[..., 2]) <= half[..., 2])
