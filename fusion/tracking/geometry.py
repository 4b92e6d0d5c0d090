"""Geometric gates between candidate (track, detection) pairs, one pair per row.

Boxes are rows x y z l w h yaw (volume centre, size, yaw about +z) in the tracking frame; image boxes
are x1 y1 x2 y2. The rectangle intersection in the ground plane is `bev_intersection` from the KITTI
scoring code; the generalised IoU's enclosing area is the convex hull of both footprints, found by
testing every ordered corner pair as a counter-clockwise hull edge (all other corners on its left).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numba import types
from scipy.spatial import cKDTree

from datasets.kitti.box_iou import bev_intersection
from fusion.core.boxes import box_corners
from fusion.core.compiled import compiled

_DENSE_PAIRS = 4096   # point pairs up to which all distances are computed at once (a k-d tree only pays off beyond)
_ROWS = types.Array(types.float64, 2, "A", readonly=True)     # kernel parameter types: any layout, read-only or not
_VALUES = types.Array(types.float64, 1, "A", readonly=True)
_VOLUMES = types.Array(types.float64, 1, "C")


def near_pairs(a: np.ndarray, b: np.ndarray | None, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (i into a, j into b) of points (N, k) closer than `radius`, with their distances,
    in row-major order; with b None, the pairs i < j within a. Small sets compare every pair; large
    ones go through scipy's k-d tree."""
    other = a if b is None else b
    if len(a) == 0 or len(other) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    if len(a) * len(other) <= _DENSE_PAIRS:
        return _all_pairs_within(np.ascontiguousarray(a, dtype=float), np.ascontiguousarray(other, dtype=float),
                                 float(radius), b is None)
    if b is None:
        i, j = np.asarray(cKDTree(a).query_pairs(radius, output_type="ndarray"), dtype=np.int64).reshape(-1, 2).T
        order = np.lexsort((j, i))
        i, j = i[order], j[order]
        return i, j, np.sqrt(np.sum((a[i] - a[j]) ** 2, axis=-1))
    found = cKDTree(a).sparse_distance_matrix(cKDTree(b), radius, output_type="ndarray")
    order = np.lexsort((found["j"], found["i"]))
    return found["i"][order].astype(np.int64), found["j"][order].astype(np.int64), found["v"][order]


@compiled
def _all_pairs_within(a: np.ndarray, b: np.ndarray, radius: float, upper: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """near_pairs by comparing every pair (j > i only when `upper`)."""
    n, m, k = len(a), len(b), a.shape[1]
    i_out = np.empty(n * m, dtype=np.int64)
    j_out = np.empty(n * m, dtype=np.int64)
    d_out = np.empty(n * m)
    count = 0
    for i in range(n):
        for j in range(i + 1 if upper else 0, m):
            s = 0.0
            for c in range(k):
                s += (a[i, c] - b[j, c]) ** 2
            distance = np.sqrt(s)
            if distance <= radius:
                i_out[count], j_out[count], d_out[count] = i, j, distance
                count += 1
    return i_out[:count], j_out[:count], d_out[:count]


_all_pairs_within(np.zeros((2, 2)), np.zeros((2, 2)), 1.0, True)   # load at import (fusion.core.compiled)


def _footprints(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counter-clockwise ground-plane corners (K, 4, 2) of box rows a and of b (K, 7), in one pass."""
    both = np.concatenate([a, b])
    corners = box_corners(both[:, 0:3], both[:, 3:6], both[:, 6])[:, :4, :2]
    return corners[:len(a)], corners[len(a):]


def _vertical_extent(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return boxes[:, 2] - boxes[:, 5] / 2, boxes[:, 2] + boxes[:, 5] / 2


def convex_hull_area(points: np.ndarray) -> np.ndarray:
    """Area (K,) of the convex hull of each small point set (K, P, 2)."""
    k, p = points.shape[:2]
    if k == 0:
        return np.zeros(0)
    scale = np.maximum(np.ptp(points.reshape(k, -1), axis=1), 1e-9)
    eps = (1e-9 * scale**2)[:, None, None, None]
    start, end = points[:, :, None, :], points[:, None, :, :]
    edge = end - start                                                # (K, P, P, 2)
    rel = points[:, None, None, :, :] - start[:, :, :, None, :]       # (K, P, P, P, 2)
    cross = edge[..., None, 0] * rel[..., 1] - edge[..., None, 1] * rel[..., 0]
    along = edge[..., None, 0] * rel[..., 0] + edge[..., None, 1] * rel[..., 1]
    length2 = np.sum(edge**2, axis=-1)
    on_segment = (np.abs(cross) <= eps) & (along >= -eps) & (along <= length2[..., None] + eps)
    left = np.all((cross > eps) | on_segment, axis=-1)
    gap2 = np.sum((points[:, :, None, :] - points[:, None, :, :]) ** 2, axis=-1)
    duplicate = np.any(np.tril(gap2 <= eps[:, :, :, 0], k=-1), axis=2)  # equals an earlier point
    is_edge = left & (length2 > eps[..., 0]) & ~duplicate[:, :, None] & ~duplicate[:, None, :]
    twice_area = start[..., 0] * end[..., 1] - start[..., 1] * end[..., 0]
    return 0.5 * np.sum(np.where(is_edge, twice_area, 0.0), axis=(1, 2))


@compiled(types.Tuple((_VOLUMES, _VOLUMES))(_ROWS, _ROWS, _VALUES))
def _intersection_union(a: np.ndarray, b: np.ndarray, areas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intersection and union volumes (K,) of box rows a[k], b[k] whose footprints share areas[k]."""
    inter, union = np.empty(len(a)), np.empty(len(a))
    for k in range(len(a)):
        overlap_z = (min(a[k, 2] + a[k, 5] / 2, b[k, 2] + b[k, 5] / 2)
                     - max(a[k, 2] - a[k, 5] / 2, b[k, 2] - b[k, 5] / 2))
        inter[k] = areas[k] * (0.0 if overlap_z < 0.0 else overlap_z)
        union[k] = a[k, 3] * a[k, 4] * a[k, 5] + b[k, 3] * b[k, 4] * b[k, 5] - inter[k]
    return inter, union


def pairwise_iou_3d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """3D IoU (K,) of box rows a[k], b[k]."""
    inter, union = _intersection_union(a, b, bev_intersection(*_footprints(a, b)))
    return inter / np.maximum(union, 1e-12)


def pairwise_giou_3d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Generalised 3D IoU (K,) in [-1, 1]: IoU minus the enclosing volume's share not in the union."""
    feet_a, feet_b = _footprints(a, b)
    inter, union = _intersection_union(a, b, bev_intersection(feet_a, feet_b))
    bottom_a, top_a = _vertical_extent(a)
    bottom_b, top_b = _vertical_extent(b)
    hull = convex_hull_area(np.concatenate([feet_a, feet_b], axis=1))
    enclosing = hull * (np.maximum(top_a, top_b) - np.minimum(bottom_a, bottom_b))
    enclosing = np.maximum(enclosing, 1e-12)
    return inter / np.maximum(union, 1e-12) - (enclosing - union) / enclosing


def pairwise_center_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ground-plane distance (K,) between the centres (first two columns) of a[k] and b[k]."""
    return np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])


def pairwise_iou_2d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (K,) of image boxes a[k], b[k] (x1 y1 x2 y2)."""
    w = np.maximum(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0.0)
    h = np.maximum(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0.0)
    inter = w * h
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return inter / np.maximum(union, 1e-12)


# name -> (pairwise function, True when larger means closer)
GEOMETRIC_MEASURES: dict[str, tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], bool]] = {
    "iou_3d": (pairwise_iou_3d, True),
    "giou_3d": (pairwise_giou_3d, True),
    "center_distance": (pairwise_center_distance, False),
    "iou_2d": (pairwise_iou_2d, True),
}
