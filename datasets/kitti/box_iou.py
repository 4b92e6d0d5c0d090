"""3D IoU of oriented boxes (yaw about +z), all pairs at once.

The 3D intersection is the bird's-eye-view polygon intersection times the vertical overlap. The
BEV intersection of two rectangles is the convex hull of A's corners inside B, B's corners inside
A and the edge crossings; all candidates of all pairs are evaluated as arrays, sorted by angle
about their mean and summed with the shoelace formula (invalid candidates repeat the first valid
point, adding zero area).
"""
from __future__ import annotations

import numpy as np

from fusion.core.boxes import box_corners


def _inside(points: np.ndarray, rect: np.ndarray) -> np.ndarray:
    """(..., P) whether points (..., P, 2) lie inside (or on) counter-clockwise quads (..., 4, 2)."""
    edges = np.roll(rect, -1, axis=-2) - rect
    rel = points[..., :, None, :] - rect[..., None, :, :]
    cross = edges[..., None, :, 0] * rel[..., 1] - edges[..., None, :, 1] * rel[..., 0]
    return np.all(cross >= -1e-9, axis=-1)


def _edge_crossings(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crossing points (..., 16, 2) of the 4 edges of a with the 4 edges of b, and which exist."""
    p, r = a[..., :, None, :], (np.roll(a, -1, axis=-2) - a)[..., :, None, :]
    q, s = b[..., None, :, :], (np.roll(b, -1, axis=-2) - b)[..., None, :, :]
    denom = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]
    qp = q - p
    safe = np.where(np.abs(denom) > 1e-12, denom, 1.0)
    t = (qp[..., 0] * s[..., 1] - qp[..., 1] * s[..., 0]) / safe
    u = (qp[..., 0] * r[..., 1] - qp[..., 1] * r[..., 0]) / safe
    valid = (np.abs(denom) > 1e-12) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    points = p + t[..., None] * r
    shape = points.shape[:-3] + (16,)
    return points.reshape(shape + (2,)), valid.reshape(shape)


def bev_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection areas (...) of counter-clockwise rectangles a, b (..., 4, 2) (broadcast)."""
    a, b = np.broadcast_arrays(a, b)
    crossings, crossing_ok = _edge_crossings(a, b)
    points = np.concatenate([a, b, crossings], axis=-2)
    valid = np.concatenate([_inside(a, b), _inside(b, a), crossing_ok], axis=-1)
    count = valid.sum(-1)
    centre = (points * valid[..., None]).sum(-2) / np.maximum(count, 1)[..., None]
    angle = np.arctan2(points[..., 1] - centre[..., None, 1], points[..., 0] - centre[..., None, 0])
    order = np.argsort(np.where(valid, angle, np.inf), axis=-1)
    ordered = np.take_along_axis(points, order[..., None], axis=-2)
    first = ordered[..., :1, :]
    slot_valid = np.arange(points.shape[-2]) < count[..., None]
    ordered = np.where(slot_valid[..., None], ordered, first)
    following = np.roll(ordered, -1, axis=-2)
    area = 0.5 * np.abs(np.sum(ordered[..., 0] * following[..., 1] - ordered[..., 1] * following[..., 0], axis=-1))
    return np.where(count >= 3, area, 0.0)


def iou_3d(centers_a: np.ndarray, sizes_a: np.ndarray, yaws_a: np.ndarray,
           centers_b: np.ndarray, sizes_b: np.ndarray, yaws_b: np.ndarray) -> np.ndarray:
    """3D IoU (Na, Nb) of oriented boxes given by volume centre, size l w h and yaw about +z."""
    sizes_a, sizes_b = np.asarray(sizes_a, dtype=float).reshape(-1, 3), np.asarray(sizes_b, dtype=float).reshape(-1, 3)
    if len(sizes_a) == 0 or len(sizes_b) == 0:
        return np.zeros((len(sizes_a), len(sizes_b)))
    centers_a, centers_b = np.asarray(centers_a, dtype=float).reshape(-1, 3), np.asarray(centers_b, dtype=float).reshape(-1, 3)
    bev_a = box_corners(centers_a, sizes_a, yaws_a)[:, :4, :2]  # bottom face, counter-clockwise from above
    bev_b = box_corners(centers_b, sizes_b, yaws_b)[:, :4, :2]
    area = bev_intersection(bev_a[:, None], bev_b[None, :])
    top = np.minimum(centers_a[:, None, 2] + sizes_a[:, None, 2] / 2, centers_b[None, :, 2] + sizes_b[None, :, 2] / 2)
    bottom = np.maximum(centers_a[:, None, 2] - sizes_a[:, None, 2] / 2, centers_b[None, :, 2] - sizes_b[None, :, 2] / 2)
    inter = area * np.clip(top - bottom, 0, None)
    vol_a, vol_b = np.prod(sizes_a, axis=1), np.prod(sizes_b, axis=1)
    return inter / (vol_a[:, None] + vol_b[None, :] - inter)
