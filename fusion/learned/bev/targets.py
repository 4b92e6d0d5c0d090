"""Training targets of the BEV detector from ground-truth boxes (base_link), CenterPoint style:
a Gaussian peak per object on its class's heatmap, and at the peak's cell the regression targets
(sub-cell offset, z, log size, sin/cos yaw, velocity). Boxes with too few lidar points are not
targets, and the heatmap loss ignores the cells around them (neither object nor background)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.learned.bev.config import BevDetectorConfig
from fusion.learned.bev.model import OUTPUT_STRIDE, REGRESSION


@dataclass
class GroundTruth:
    """Boxes in base_link: centres (N, 3), sizes l w h (N, 3), yaws (N,), classes (N,) ObjectClass
    values, velocities (N, 3) over ground, and lidar point counts (N,) inside each box."""

    centers: np.ndarray
    sizes: np.ndarray
    yaws: np.ndarray
    classes: np.ndarray
    velocities: np.ndarray
    points: np.ndarray

    def __len__(self) -> int:
        return len(self.centers)

    def select(self, keep: np.ndarray) -> GroundTruth:
        return GroundTruth(self.centers[keep], self.sizes[keep], self.yaws[keep], self.classes[keep],
                           self.velocities[keep], self.points[keep])


@dataclass
class Targets:
    heatmap: np.ndarray         # (classes, Ho, Wo)
    heatmap_weight: np.ndarray  # (Ho, Wo): 0 around ignored boxes
    regression: np.ndarray      # (10, Ho, Wo), valid where mask
    mask: np.ndarray            # (Ho, Wo) bool: cells holding an object centre


def gaussian_radius(length_cells: np.ndarray, width_cells: np.ndarray, min_overlap: float) -> np.ndarray:
    """Largest shift of a box's corner that keeps IoU >= min_overlap (CenterNet's three cases:
    both corners inside, both outside, one of each), the smallest of the three."""
    h, w, o = length_cells, width_cells, min_overlap
    b1, c1 = h + w, w * h * (1 - o) / (1 + o)
    r1 = (b1 + np.sqrt(b1**2 - 4 * c1)) / 2
    b2, c2 = 2 * (h + w), (1 - o) * w * h
    r2 = (b2 + np.sqrt(b2**2 - 16 * c2)) / 2
    a3, b3, c3 = 4 * o, -2 * o * (h + w), (o - 1) * w * h
    r3 = (b3 + np.sqrt(b3**2 - 4 * a3 * c3)) / 2
    return np.minimum(np.minimum(r1, r2), r3)


def output_cells(config: BevDetectorConfig, centers_xy: np.ndarray) -> np.ndarray:
    """Continuous (row, column) coordinates of base_link points on the output grid."""
    r = config.raster
    cell = r.cell_m * OUTPUT_STRIDE
    return np.column_stack([(centers_xy[:, 0] - r.x_min_m) / cell, (centers_xy[:, 1] - r.y_min_m) / cell])


def _draw(heat: np.ndarray, centre: tuple[int, int], radius: int) -> None:
    """Max-in a Gaussian of sigma (2r+1)/6 centred on a cell."""
    sigma = (2 * radius + 1) / 6.0
    i, j = centre
    rows, cols = heat.shape
    i0, i1, j0, j1 = max(0, i - radius), min(rows, i + radius + 1), max(0, j - radius), min(cols, j + radius + 1)
    di, dj = np.arange(i0, i1)[:, None] - i, np.arange(j0, j1)[None, :] - j
    np.maximum(heat[i0:i1, j0:j1], np.exp(-(di**2 + dj**2) / (2 * sigma**2)), out=heat[i0:i1, j0:j1])


def make_targets(config: BevDetectorConfig, truth: GroundTruth) -> Targets:
    rows, cols = (n // OUTPUT_STRIDE for n in config.raster.shape)
    classes = config.model.class_values()
    heat = np.zeros((len(classes), rows, cols), dtype=np.float32)
    weight = np.ones((rows, cols), dtype=np.float32)
    regression = np.zeros((sum(n for _, n in REGRESSION), rows, cols), dtype=np.float32)
    mask = np.zeros((rows, cols), dtype=bool)
    if not len(truth):
        return Targets(heat, weight, regression, mask)
    cell = config.raster.cell_m * OUTPUT_STRIDE
    uv = output_cells(config, truth.centers[:, :2])
    ij = np.floor(uv).astype(np.int64)
    inside = (ij[:, 0] >= 0) & (ij[:, 0] < rows) & (ij[:, 1] >= 0) & (ij[:, 1] < cols)
    radius = np.maximum(gaussian_radius(truth.sizes[:, 0] / cell, truth.sizes[:, 1] / cell, config.targets.min_overlap),
                        config.targets.min_radius_cells).astype(np.int64)
    known = np.isin(truth.classes, [int(c) for c in classes])
    enough = truth.points >= config.targets.min_points
    for k in np.flatnonzero(inside & known):
        i, j = int(ij[k, 0]), int(ij[k, 1])
        if not enough[k]:
            weight[max(0, i - radius[k]):i + radius[k] + 1, max(0, j - radius[k]):j + radius[k] + 1] = 0.0
            continue
        _draw(heat[classes.index(int(truth.classes[k]))], (i, j), int(radius[k]))
        regression[:, i, j] = np.concatenate([
            uv[k] - ij[k], truth.centers[k, 2:3], np.log(truth.sizes[k]),
            [np.sin(truth.yaws[k]), np.cos(truth.yaws[k])], truth.velocities[k, :2]])
        mask[i, j] = True
    weight[heat.max(axis=0) > 0] = 1.0   # an object next to an ignored one stays a target
    return Targets(heat, weight, regression, mask)
