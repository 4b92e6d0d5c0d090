"""Euclidean clustering on a bird's-eye-view occupancy grid: connected components of occupied
cells (8-connected), so points closer than about one cell join one cluster.

Only the occupied cells are visited: each is linked to its occupied forward neighbours (found by
binary search in the sorted cell ids) and scipy.sparse.csgraph labels the components of that
graph. Cost grows with the occupied cells (a few hundred obstacle pillars per sweep), not with the
grid (640,000 cells at 15 cm over +-60 m), and not with how the points are spread, as a k-d tree
DBSCAN's would. Components are numbered by their first cell in row-major order, as
scipy.ndimage.label numbers them.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from sensors.lidar.bev_grid import BevGrid

# Half of the 8-neighbourhood (row, column steps): every neighbouring pair is linked once.
_FORWARD_NEIGHBOURS = ((0, 1), (1, -1), (1, 0), (1, 1))


def occupied_components(cells: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Connected components of the occupied cells of a size x size grid (8-connected): the sorted
    distinct cell ids, the component of each (numbered in row-major order of first cells) and
    the component count."""
    ordered = np.sort(cells)
    occupied = ordered[np.r_[True, ordered[1:] != ordered[:-1]]]   # np.unique, without its hashing detour
    row, col = np.divmod(occupied, size)
    sources, targets = [], []
    for d_row, d_col in _FORWARD_NEIGHBOURS:
        inside = (row + d_row < size) & (col + d_col >= 0) & (col + d_col < size)
        source = np.flatnonzero(inside)
        wanted = occupied[source] + d_row * size + d_col
        found = np.minimum(np.searchsorted(occupied, wanted), len(occupied) - 1)
        hit = occupied[found] == wanted
        sources.append(source[hit])
        targets.append(found[hit])
    source, target = np.concatenate(sources), np.concatenate(targets)
    graph = coo_array((np.ones(len(source), dtype=np.int8), (source, target)), shape=(len(occupied), len(occupied)))
    count, labels = connected_components(graph, directed=False)
    return occupied, labels, int(count)


def grid_clusters(xy: np.ndarray, grid: BevGrid, min_points: int, max_extent_m: float) -> tuple[np.ndarray, int]:
    """Cluster label of each point (N,) and the number of clusters (labels 0 .. count - 1).
    Clusters of fewer than min_points points, and clusters whose axis-aligned footprint has a
    diagonal over max_extent_m (facades, hedges, rows of parked bicycles: structure, not one road
    user), are labelled -1."""
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64), 0
    cells = grid.flat_index(xy[:, 0], xy[:, 1])
    occupied, cell_labels, count = occupied_components(cells, grid.size)
    labels = cell_labels[np.searchsorted(occupied, cells)]
    sizes = np.bincount(labels, minlength=count)
    low, high = np.full((count, 2), np.inf), np.full((count, 2), -np.inf)
    np.minimum.at(low, labels, xy)
    np.maximum.at(high, labels, xy)
    keep = (sizes >= min_points) & (np.hypot(*(high - low).T) <= max_extent_m)
    remap = np.full(count, -1, dtype=np.int64)
    remap[keep] = np.arange(np.count_nonzero(keep))
    return remap[labels], int(np.count_nonzero(keep))
