"""Point-cloud preprocessing in numpy: region-of-interest crop, pillar (BEV voxel) downsampling, deskewing."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensors.lidar.bev_grid import BevGrid


def crop(points: np.ndarray, max_range_m: float, z_min_m: float, z_max_m: float, min_range_m: float = 0.0) -> np.ndarray:
    """The points (N, 3) within [min_range_m, max_range_m] horizontally and z in [z_min_m, z_max_m]
    (sensor frame; min_range_m removes returns from the vehicle's own body), as float32 columns
    (3, M): contiguous x, y, z rows halve the memory every later stage streams through."""
    columns = points.T.astype(np.float32)
    x, y, z = columns
    r2 = x * x
    r2 += y * y
    keep = (r2 <= np.float32(max_range_m**2)) & (r2 >= np.float32(min_range_m**2))
    keep &= (z >= np.float32(z_min_m)) & (z <= np.float32(z_max_m))
    return columns[:, keep]


@dataclass
class Pillars:
    """Occupied bird's-eye-view voxels (pillars): centroid xy (P, 2), lowest and highest z, mean
    ground height under the pillar's points and point count (P,)."""

    xy: np.ndarray
    z_low: np.ndarray
    z_high: np.ndarray
    ground_z: np.ndarray
    counts: np.ndarray

    def __len__(self) -> int:
        return len(self.counts)


def pillar_downsample(x: np.ndarray, y: np.ndarray, z: np.ndarray, ground_z: np.ndarray, grid: BevGrid) -> Pillars:
    """Voxel downsampling in the bird's-eye view: one pillar per occupied grid cell, keeping the
    vertical extent that box fitting needs. A dense cell -> pillar lookup replaces the sort that
    np.unique would need, so the cost is O(N) (a few ms for 100k points)."""
    cells = grid.flat_index(x, y)
    occupied = np.zeros(grid.size * grid.size, dtype=bool)
    occupied[cells] = True
    ids = np.flatnonzero(occupied)
    lookup = np.empty(grid.size * grid.size, dtype=np.int32)   # only occupied cells are read
    n = len(ids)
    lookup[ids] = np.arange(n, dtype=np.int32)
    pillar = lookup[cells]
    counts = np.bincount(pillar, minlength=n)
    xy = np.column_stack([np.bincount(pillar, x, n), np.bincount(pillar, y, n)]) / counts[:, None]
    z_low, z_high = np.full(n, np.inf, dtype=z.dtype), np.full(n, -np.inf, dtype=z.dtype)
    np.minimum.at(z_low, pillar, z)
    np.maximum.at(z_high, pillar, z)
    return Pillars(xy, z_low, z_high, np.bincount(pillar, ground_z, n) / counts, counts)


def deskew(points: np.ndarray, times_s: np.ndarray, linear_velocity: np.ndarray, angular_velocity: np.ndarray) -> np.ndarray:
    """Points measured during a sweep, each at times_s after the stamp in the sensor frame of that
    instant, expressed in the sensor frame at the stamp, assuming the sensor moved with a constant
    twist (linear [m/s] and angular [rad/s] velocity in the sensor frame) over the sweep.

    A constant angular velocity turns every point about one axis k, by angle |w| t: Rodrigues'
    formula p cos + (k x p) sin + k (k . p)(1 - cos) needs two 3 x 3 products for the whole cloud
    instead of a rotation per point."""
    times_s = np.asarray(times_s, dtype=float)
    omega = np.asarray(angular_velocity, dtype=float)
    shift = np.multiply.outer(times_s, np.asarray(linear_velocity, dtype=float))
    rate = float(np.linalg.norm(omega))
    if rate == 0.0:
        return points + shift
    kx, ky, kz = omega / rate
    cross = np.array([[0.0, -kz, ky], [kz, 0.0, -kx], [-ky, kx, 0.0]])   # k x p = cross @ p
    axis = np.array([kx, ky, kz])
    angle = times_s * rate
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    out = points @ cross.T
    out *= sin
    out += (points @ np.outer(axis, axis)) * (1.0 - cos)         # k (k . p)
    out += points * cos
    out += shift
    return out
