"""Euclidean clustering on a bird's-eye-view occupancy grid: connected components of occupied
cells (8-connected, scipy.ndimage.label), so points closer than about one cell join one cluster.

Cost is O(N) in the points plus one labelling pass over the grid, independent of how points are
spread, where a k-d tree DBSCAN grows with the neighbourhood sizes of dense near-range returns.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from sensors.lidar.bev_grid import BevGrid

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def grid_clusters(xy: np.ndarray, grid: BevGrid, min_points: int, max_extent_m: float) -> tuple[np.ndarray, int]:
    """Cluster label of each point (N,) and the number of clusters (labels 0 .. count - 1).
    Clusters of fewer than min_points points, and clusters whose axis-aligned footprint has a
    diagonal over max_extent_m (facades, hedges, rows of parked bicycles: structure, not one road
    user), are labelled -1."""
    cells = grid.flat_index(xy[:, 0], xy[:, 1])
    occupied = np.zeros(grid.size * grid.size, dtype=bool)
    occupied[cells] = True
    cell_labels, count = ndimage.label(occupied.reshape(grid.shape), structure=_EIGHT_CONNECTED)
    labels = cell_labels.reshape(-1)[cells] - 1
    sizes = np.bincount(labels, minlength=count)
    low, high = np.full((count, 2), np.inf), np.full((count, 2), -np.inf)
    np.minimum.at(low, labels, xy)
    np.maximum.at(high, labels, xy)
    keep = (sizes >= min_points) & (np.hypot(*(high - low).T) <= max_extent_m)
    remap = np.full(count, -1, dtype=np.int64)
    remap[keep] = np.arange(np.count_nonzero(keep))
    return remap[labels], int(np.count_nonzero(keep))
