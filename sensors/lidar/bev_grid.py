"""A square bird's-eye-view grid centred on the sensor, for O(N) per-cell work without sorting."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BevGrid:
    """Cells of cell_m x cell_m covering x and y in [-half_extent_m, half_extent_m)."""

    cell_m: float
    half_extent_m: float

    @property
    def size(self) -> int:
        """Cells along each axis."""
        return int(np.ceil(2 * self.half_extent_m / self.cell_m))

    @property
    def shape(self) -> tuple[int, int]:
        return self.size, self.size

    def flat_index(self, xy: np.ndarray) -> np.ndarray:
        """Row-major cell index of each point (points must lie inside the grid; see crop_mask)."""
        ij = ((xy + self.half_extent_m) * (1.0 / self.cell_m)).astype(np.int64)
        np.clip(ij, 0, self.size - 1, out=ij)
        return ij[:, 0] * self.size + ij[:, 1]
