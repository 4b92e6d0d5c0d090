"""Oriented boxes for all clusters at once by L-shape fitting.

For each candidate heading (0 .. 90 deg in small steps) the points of a cluster are projected on
the heading and its normal; the heading whose enclosing rectangle has the points closest to its
edges wins (the closeness criterion of Zhang et al., "Efficient L-Shape Fitting for Vehicle
Detection Using Laser Scanners", 2017). Lidar sees two faces of a car at most, and closeness
rewards a rectangle that hugs those faces, where the minimum-area rectangle drifts on partial
views. All clusters and all headings are evaluated in a few array operations over the points
sorted by cluster (segment reductions with ufunc.reduceat), never a Python loop per cluster.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensors.lidar.preprocess import Pillars
_MIN_EXTENT_M = 0.05       # a box is never thinner than this (a single column of returns)
_CLOSENESS_FLOOR_M = 0.01  # distances below this count as on the edge (caps 1/d)


@dataclass
class ClusterBoxes:
    """One box per cluster: volume centre (K, 3), size l, w, h (K, 3) with l >= w, yaw (K,) in
    (-pi/2, pi/2], the cluster's pillar count and its clearance (lowest point above the ground)."""

    centers: np.ndarray
    sizes: np.ndarray
    yaws: np.ndarray
    pillar_counts: np.ndarray
    clearance: np.ndarray

    def __len__(self) -> int:
        return len(self.centers)


def fit_boxes(pillars: Pillars, labels: np.ndarray, count: int, yaw_step_deg: float = 3.0) -> ClusterBoxes:
    """Boxes for clusters 0 .. count-1 of pillars with labels (P,) (-1 = no cluster); a box
    reaches from the mean ground height under its pillars to the highest point."""
    if count == 0:
        empty = np.zeros((0, 3))
        return ClusterBoxes(empty, empty.copy(), np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0))
    member = labels >= 0
    key = labels[member].astype(np.uint16 if count <= np.iinfo(np.uint16).max else np.int64)
    order = np.argsort(key, kind="stable")          # a radix sort for 16-bit keys
    lab = key[order].astype(np.int64)
    xy = pillars.xy[member][order]
    ground = pillars.ground_z[member][order]
    z_low, z_high = pillars.z_low[member][order], pillars.z_high[member][order]
    counts = np.bincount(lab, minlength=count)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))

    mean_xy = np.add.reduceat(xy, starts, axis=0) / counts[:, None]
    local = (xy - mean_xy[lab]).astype(np.float32)
    angles = np.deg2rad(np.arange(0.0, 90.0, yaw_step_deg))
    cos, sin = np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)
    along = local[:, :1] * cos + local[:, 1:] * sin        # (M, A) coordinate on each heading
    across = local[:, 1:] * cos - local[:, :1] * sin       # (M, A) coordinate on its normal
    lo1, hi1 = np.minimum.reduceat(along, starts, axis=0), np.maximum.reduceat(along, starts, axis=0)
    lo2, hi2 = np.minimum.reduceat(across, starts, axis=0), np.maximum.reduceat(across, starts, axis=0)
    d1 = np.minimum(along - lo1[lab], hi1[lab] - along)
    d2 = np.minimum(across - lo2[lab], hi2[lab] - across)
    closeness = np.add.reduceat(1.0 / np.maximum(np.minimum(d1, d2), _CLOSENESS_FLOOR_M), starts, axis=0)
    best = np.argmax(closeness, axis=1)

    k = np.arange(count)
    theta = angles[best]
    a_lo, a_hi, c_lo, c_hi = lo1[k, best], hi1[k, best], lo2[k, best], hi2[k, best]
    mid_a, mid_c = (a_lo + a_hi) / 2, (c_lo + c_hi) / 2
    ct, st = np.cos(theta), np.sin(theta)
    center_xy = mean_xy + np.column_stack([mid_a * ct - mid_c * st, mid_a * st + mid_c * ct])
    ext_a, ext_c = a_hi - a_lo, c_hi - c_lo
    swap = ext_c > ext_a
    length = np.maximum(np.where(swap, ext_c, ext_a), _MIN_EXTENT_M)
    width = np.maximum(np.where(swap, ext_a, ext_c), _MIN_EXTENT_M)
    yaw = np.where(swap, theta + np.pi / 2, theta)       # [0, pi): fold into (-pi/2, pi/2]
    yaw = np.where(yaw > np.pi / 2, yaw - np.pi, yaw)

    bottom = np.add.reduceat(ground, starts) / counts
    low, top = np.minimum.reduceat(z_low, starts), np.maximum.reduceat(z_high, starts)
    height = np.maximum(top - bottom, _MIN_EXTENT_M)
    centers = np.column_stack([center_xy, bottom + height / 2])
    return ClusterBoxes(centers, np.column_stack([length, width, height]), yaw, counts, low - bottom)
