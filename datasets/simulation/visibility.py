"""Occlusion between road users, seen from a sensor's position (2.5D).

Each box is seen under an azimuth interval from the sensor. A fan of rays across that interval is
checked against every nearer box whose interval covers the ray: that box hides the target from
the ground up to the line of sight grazing its top edge. The visible fraction of a target is the
mean, over its rays, of the share of its height that stays visible. A roof lidar thus still sees
a pedestrian's head above a car, while a bumper-height radar does not.
"""
from __future__ import annotations

import numpy as np

from datasets.simulation.world import WorldState
from fusion.core.quaternion import wrap_angle

RAYS_PER_OBJECT = 12


def azimuth_extent(origin_xy: np.ndarray, corners_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per box (corners (N, 4+, 2)): azimuth of the centre direction, interval [lo, hi] relative to it
    (radians), and the distance to the nearest corner."""
    rel = corners_xy - origin_xy
    centre = rel.mean(axis=1)
    az_centre = np.arctan2(centre[:, 1], centre[:, 0])
    offsets = wrap_angle(np.arctan2(rel[..., 1], rel[..., 0]) - az_centre[:, None])
    return az_centre, offsets.min(axis=1), offsets.max(axis=1), np.linalg.norm(rel, axis=2).min(axis=1)


def hidden_heights(origin: np.ndarray, world: WorldState, within_m: float = np.inf) -> np.ndarray:
    """(N, RAYS_PER_OBJECT): for a fan of rays across each box's azimuth interval seen from `origin`
    (map frame), the map height up to which nearer boxes hide it (-inf where nothing does). Boxes
    entirely farther than within_m (beyond a sensor's range) count as hidden (+inf) and hide nothing."""
    origin = np.asarray(origin, dtype=float)
    reach = np.linalg.norm(world.centers[:, :2] - origin[:2], axis=1) - 0.5 * np.linalg.norm(world.sizes[:, :2], axis=1)
    considered = reach <= within_m
    hidden = np.full((len(world), RAYS_PER_OBJECT), np.inf)
    if considered.any():
        hidden[considered] = _hidden_heights(origin, world.subset(considered))
    return hidden


def _hidden_heights(origin: np.ndarray, world: WorldState) -> np.ndarray:
    n = len(world)
    corners = world.corners()[:, :4, :2]                              # bottom face is the footprint
    az, lo, hi, near = azimuth_extent(origin[:2], corners)
    centre_range = np.linalg.norm(world.centers[:, :2] - origin[:2], axis=1)
    inside = (hi - lo) > np.pi                                         # the sensor stands inside this footprint
    top = world.centers[:, 2] + 0.5 * world.sizes[:, 2]
    fan = (np.arange(RAYS_PER_OBJECT) + 0.5) / RAYS_PER_OBJECT
    rays = az[:, None] + lo[:, None] + fan[None, :] * (hi - lo)[:, None]          # (N, K)
    rel = wrap_angle(rays[:, :, None] - az[None, None, :])                        # (N, K, M) ray vs occluder
    covers = (rel >= lo[None, None, :]) & (rel <= hi[None, None, :])
    nearer = (near[None, :] < near[:, None]) & ~np.eye(n, dtype=bool) & ~inside[None, :]
    covers &= nearer[:, None, :]
    # height of the sight line over occluder m's top edge, extended to the target's distance
    line = origin[2] + (top[None, :] - origin[2]) * centre_range[:, None] / np.maximum(near[None, :], 1e-3)
    hidden = np.where(covers, line[:, None, :], -np.inf).max(axis=2)
    hidden[inside] = -np.inf
    return hidden


def visible_fraction(origin: np.ndarray, world: WorldState, within_m: float = np.inf) -> np.ndarray:
    """Share (N,) of each box's silhouette, seen from `origin` (map frame), hidden by no nearer box
    (0 for boxes entirely farther than within_m)."""
    top = world.centers[:, 2] + 0.5 * world.sizes[:, 2]
    bottom = world.centers[:, 2] - 0.5 * world.sizes[:, 2]
    visible_from = np.maximum(hidden_heights(origin, world, within_m), bottom[:, None])
    return np.clip((top[:, None] - visible_from) / np.maximum(top - bottom, 1e-6)[:, None], 0.0, 1.0).mean(axis=1)
