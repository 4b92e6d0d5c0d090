"""Lidar points and radar returns (both already in base_link) rasterised to bird's-eye-view channels.

Every channel is scaled to roughly [0, 1] (or [-1, 1] for velocities) so one network serves both
sensors without input normalisation statistics:
- lidar: occupancy, point density (count / density_saturation, capped at 1), highest and mean point
  height (as a fraction of [z_min_m, z_max_m]), mean intensity / 255;
- radar: occupancy, strongest RCS ((dBsm + 20) / 40), mean ego-motion compensated radial velocity
  and its x and y components along the line of sight (all / 10 m/s).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.core.errors import InputError
from fusion.learned.bev.config import RasterConfig

LIDAR_CHANNELS = ("lidar_occupancy", "lidar_density", "lidar_max_height", "lidar_mean_height", "lidar_intensity")
RADAR_CHANNELS = ("radar_occupancy", "radar_rcs", "radar_doppler", "radar_doppler_x", "radar_doppler_y")
CHANNELS = LIDAR_CHANNELS + RADAR_CHANNELS
VELOCITY_SCALE_MPS = 10.0
RCS_OFFSET_DBSM, RCS_RANGE_DBSM = 20.0, 40.0


@dataclass
class BevInputs:
    """One sweep's inputs in base_link: lidar points (N, 3) and intensities (N,) [0..255]; radar
    returns (M, 3), RCS (M,) [dBsm], compensated radial velocity (M,) [m/s, positive = away] and
    line-of-sight unit vectors (M, 3) from the radar to each return."""

    lidar_points: np.ndarray
    lidar_intensity: np.ndarray
    radar_points: np.ndarray
    radar_rcs: np.ndarray
    radar_doppler: np.ndarray
    radar_los: np.ndarray

    def __post_init__(self) -> None:
        for name in ("lidar_points", "radar_points", "radar_los"):
            value = np.asarray(getattr(self, name), dtype=float).reshape(-1, 3) if np.size(getattr(self, name)) else np.zeros((0, 3))
            setattr(self, name, value)
        for name in ("lidar_intensity", "radar_rcs", "radar_doppler"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=float).reshape(-1))
        if len(self.lidar_intensity) != len(self.lidar_points):
            raise InputError("BEV inputs", f"{len(self.lidar_intensity)} lidar intensities for {len(self.lidar_points)} points")
        lengths = {n: len(getattr(self, n)) for n in ("radar_points", "radar_rcs", "radar_doppler", "radar_los")}
        if len(set(lengths.values())) > 1:
            raise InputError("BEV inputs", f"radar arrays have different lengths: {lengths}")


def _mean(cells: np.ndarray, values: np.ndarray, counts: np.ndarray, size: int) -> np.ndarray:
    total = np.bincount(cells, values, size)
    return np.divide(total, counts, out=np.zeros(size), where=counts > 0)


def _cells(config: RasterConfig, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat cell index of the points inside the grid, and which points those are."""
    rows, cols = config.shape
    i = np.floor((xy[:, 0] - config.x_min_m) / config.cell_m).astype(np.int64)
    j = np.floor((xy[:, 1] - config.y_min_m) / config.cell_m).astype(np.int64)
    inside = (i >= 0) & (i < rows) & (j >= 0) & (j < cols)
    return i[inside] * cols + j[inside], inside


def rasterise(config: RasterConfig, inputs: BevInputs) -> np.ndarray:
    """The (len(CHANNELS), rows, cols) float32 raster of one sweep (rows along x, columns along y)."""
    rows, cols = config.shape
    size = rows * cols
    out = np.zeros((len(CHANNELS), size))

    points = inputs.lidar_points
    finite = np.all(np.isfinite(points), axis=1) & np.isfinite(inputs.lidar_intensity)
    band = finite & (points[:, 2] >= config.z_min_m) & (points[:, 2] <= config.z_max_m)
    cells, inside = _cells(config, points[band, :2])
    height = (points[band, 2][inside] - config.z_min_m) / (config.z_max_m - config.z_min_m)
    counts = np.bincount(cells, minlength=size).astype(float)
    out[0] = counts > 0
    out[1] = np.minimum(counts / config.density_saturation, 1.0)
    np.maximum.at(out[2], cells, height)
    out[3] = _mean(cells, height, counts, size)
    out[4] = _mean(cells, inputs.lidar_intensity[band][inside] / 255.0, counts, size)

    if config.radar and len(inputs.radar_points):
        radar = inputs.radar_points
        ok = np.all(np.isfinite(radar), axis=1) & np.isfinite(inputs.radar_rcs) & np.isfinite(inputs.radar_doppler)
        cells, inside = _cells(config, radar[ok, :2])
        rcs = np.clip((inputs.radar_rcs[ok][inside] + RCS_OFFSET_DBSM) / RCS_RANGE_DBSM, 0.0, 1.0)
        doppler = inputs.radar_doppler[ok][inside] / VELOCITY_SCALE_MPS
        los = inputs.radar_los[ok][inside]
        counts = np.bincount(cells, minlength=size).astype(float)
        out[5] = counts > 0
        np.maximum.at(out[6], cells, rcs)
        out[7] = _mean(cells, doppler, counts, size)
        out[8] = _mean(cells, doppler * los[:, 0], counts, size)
        out[9] = _mean(cells, doppler * los[:, 1], counts, size)
    return out.reshape(len(CHANNELS), rows, cols).astype(np.float32)
