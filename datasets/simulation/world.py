"""The road users at one instant, in the map frame: what every sensor model looks at."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.core.boxes import box_corners


@dataclass(frozen=True)
class WorldState:
    """N objects: ids (N,), classes (N,) (ObjectClass values), centres (N, 3) of the box volume,
    velocities (N, 3), yaws (N,) in [-pi, pi), sizes (N, 3) as length, width, height."""

    ids: np.ndarray
    classes: np.ndarray
    centers: np.ndarray
    velocities: np.ndarray
    yaws: np.ndarray
    sizes: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def corners(self) -> np.ndarray:
        """Box corners (N, 8, 3) in the map frame."""
        return box_corners(self.centers, self.sizes, self.yaws)

    def subset(self, mask: np.ndarray) -> WorldState:
        return WorldState(self.ids[mask], self.classes[mask], self.centers[mask], self.velocities[mask],
                          self.yaws[mask], self.sizes[mask])
