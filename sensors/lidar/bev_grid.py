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

    def flat_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Row-major cell index (int32) of each point; points outside go to the nearest edge cell."""
        scale = np.float32(1.0 / self.cell_m)
        i = ((x + np.float32(self.half_extent_m)) * scale).astype(np.int32)
        j = ((y + np.float32(self.half_extent_m)) * scale).astype(np.int32)
        np.clip(i, 0, self.size - 1, out=i)
        np.clip(j, 0, self.size - 1, out=j)
        i *= self.size
        i += j
        return i
