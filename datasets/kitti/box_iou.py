"""3D IoU of oriented boxes (yaw about +z), all pairs at once.

The 3D intersection is the bird's-eye-view polygon intersection times the vertical overlap. The
BEV intersection of two rectangles is rectangle a clipped by the four edge half-planes of b in turn
(Sutherland-Hodgman), its area by the shoelace formula; one compiled pass does every pair (a few
microseconds for the handful of pairs a tracking cycle checks, where array code spends its time on
dispatch), in coordinates relative to a's first corner so that far-away boxes keep their precision.
"""
from __future__ import annotations

import numpy as np
from numba import types

from fusion.core.boxes import box_corners
from fusion.core.compiled import compiled

_RECTANGLES = types.Array(types.float64, 3, "A", readonly=True)   # (K, 4, 2), any layout, read-only or not
# Clipping a convex polygon by a line adds at most one vertex; rounding can at worst double the count
# per edge of b, so 4 * 2**4 vertices always fit.
_MAX_VERTICES = 64


@compiled
def _clipped_area(a: np.ndarray, b: np.ndarray, polygons: np.ndarray) -> float:
    """Area of the intersection of quads a and b (4, 2) (b convex, either orientation; 0 when b is
    degenerate or not finite); polygons (2, _MAX_VERTICES, 2) is scratch space."""
    ox, oy = a[0, 0], a[0, 1]
    twice_b = 0.0
    for e in range(4):
        f = (e + 1) % 4
        twice_b += (b[e, 0] - ox) * (b[f, 1] - oy) - (b[f, 0] - ox) * (b[e, 1] - oy)
    if not (twice_b > 0.0 or twice_b < 0.0):
        return 0.0
    inward = 1.0 if twice_b > 0.0 else -1.0     # the inside of b lies left of its edges when counter-clockwise
    for v in range(4):
        polygons[0, v, 0], polygons[0, v, 1] = a[v, 0] - ox, a[v, 1] - oy
    src, n = 0, 4
    for e in range(4):
        px, py = b[e, 0] - ox, b[e, 1] - oy
        ex, ey = b[(e + 1) % 4, 0] - ox - px, b[(e + 1) % 4, 1] - oy - py
        dst, m = 1 - src, 0
        for v in range(n):
            w = v + 1 if v + 1 < n else 0
            cx, cy, nx, ny = polygons[src, v, 0], polygons[src, v, 1], polygons[src, w, 0], polygons[src, w, 1]
            side_c = inward * (ex * (cy - py) - ey * (cx - px))
            side_n = inward * (ex * (ny - py) - ey * (nx - px))
            if side_c >= 0.0:
                polygons[dst, m, 0], polygons[dst, m, 1] = cx, cy
                m += 1
            if (side_c > 0.0 and side_n < 0.0) or (side_c < 0.0 and side_n > 0.0):
                t = side_c / (side_c - side_n)
                polygons[dst, m, 0], polygons[dst, m, 1] = cx + t * (nx - cx), cy + t * (ny - cy)
                m += 1
        src, n = dst, m
        if n < 3:
            return 0.0
    twice = 0.0
    for v in range(n):
        w = v + 1 if v + 1 < n else 0
        twice += polygons[src, v, 0] * polygons[src, w, 1] - polygons[src, w, 0] * polygons[src, v, 1]
    return 0.5 * abs(twice)


@compiled(types.Array(types.float64, 1, "C")(_RECTANGLES, _RECTANGLES))
def _intersection_areas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """bev_intersection of the pairs a[k], b[k] (K, 4, 2)."""
    areas = np.empty(len(a))
    polygons = np.empty((2, _MAX_VERTICES, 2))
    for k in range(len(a)):
        areas[k] = _clipped_area(a[k], b[k], polygons)
    return areas


def bev_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection areas (...) of counter-clockwise rectangles a, b (..., 4, 2) (broadcast)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        a, b = np.broadcast_arrays(a, b)
    return _intersection_areas(a.reshape(-1, 4, 2), b.reshape(-1, 4, 2)).reshape(a.shape[:-2])


bev_intersection(np.zeros((1, 4, 2)), np.zeros((1, 4, 2)))   # load at import (fusion.core.compiled)


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
