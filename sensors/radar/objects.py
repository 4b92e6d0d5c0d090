"""Radar objects: moving returns clustered in position and compensated radial velocity.

Returns of one object lie close together and share a velocity, so DBSCAN (open3d) runs on
(x, y, v * scale) with scale = eps_m / velocity_gate_mps: two returns are neighbours when they are
about eps_m apart and their radial velocities differ by about velocity_gate_mps or less.

Each cluster's velocity over ground solves u_i . v = v_r,i (compensated) for all its returns at
once, a 2 x 2 least-squares system per cluster built with np.add.at. When the returns' lines of
sight are nearly parallel (a small or far object) only the radial component is observable; the
object then gets that radial component and full_velocity False.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.core.classes import ObjectClass
from fusion.core.measurements import Boxes3D, RadarDetections
from sensors.radar.doppler import line_of_sight

_MIN_SIZE_M = 0.5          # a radar object's box is never smaller than this
_MIN_SPREAD = 0.01         # smallest eigenvalue of sum(u u^T) / n for a full 2D velocity (~6 deg spread)


@dataclass
class RadarObjects:
    """boxes: Boxes3D in the radar frame, axis-aligned around the returns (velocities = velocity
    over ground, in the radar frame);
    full_velocity (K,) whether both horizontal components were observable; labels (N,) the
    object of each return (-1 = none)."""

    boxes: Boxes3D
    full_velocity: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)


def cluster_objects(detections: RadarDetections, compensated: np.ndarray, moving: np.ndarray, eps_m: float = 1.5,
                    velocity_gate_mps: float = 1.0, min_points: int = 2) -> RadarObjects:
    """Radar objects from the moving returns of one scan."""
    import open3d as o3d

    xyz = detections.to_cartesian()
    labels = np.full(len(detections), -1, dtype=np.int64)
    index = np.flatnonzero(moving)
    if len(index):
        features = np.column_stack([xyz[index, :2], compensated[index] * (eps_m / velocity_gate_mps)])
        cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(features))
        labels[index] = np.asarray(cloud.cluster_dbscan(eps=eps_m, min_points=min_points))
    count = int(labels.max(initial=-1)) + 1
    if count == 0:   # most scans: nothing moves, or movers too sparse to cluster
        return RadarObjects(Boxes3D(detections.stamp_ns, detections.frame_id, detections.sensor_id,
                                    velocities=np.zeros((0, 3))), np.zeros(0, dtype=bool), labels)
    member = labels >= 0
    lab = labels[member]
    n = np.bincount(lab, minlength=count).astype(float)

    u = line_of_sight(detections)[member, :2]
    normal = np.zeros((count, 2, 2))
    np.add.at(normal, lab, u[:, :, None] * u[:, None, :])
    rhs = np.zeros((count, 2))
    np.add.at(rhs, lab, u * compensated[member, None])
    full = np.linalg.eigvalsh(normal)[:, 0] / np.maximum(n, 1) > _MIN_SPREAD
    velocity = np.zeros((count, 2))
    velocity[full] = np.linalg.solve(normal[full], rhs[full][..., None])[..., 0]
    mean_u = np.column_stack([np.bincount(lab, weights=u[:, i], minlength=count) for i in range(2)])[~full]
    mean_u = mean_u / np.maximum(np.linalg.norm(mean_u, axis=1, keepdims=True), 1e-9)
    radial = np.bincount(lab, weights=compensated[member], minlength=count)[~full] / np.maximum(n[~full], 1)
    velocity[~full] = mean_u * radial[:, None]

    points = xyz[member]
    centers = np.column_stack([np.bincount(lab, weights=points[:, i], minlength=count) / np.maximum(n, 1) for i in range(3)])
    low, high = np.full((count, 3), np.inf), np.full((count, 3), -np.inf)
    np.minimum.at(low, lab, points)
    np.maximum.at(high, lab, points)
    boxes = Boxes3D(detections.stamp_ns, detections.frame_id, detections.sensor_id, centers=centers,
                    sizes=np.maximum(high - low, _MIN_SIZE_M), yaws=np.zeros(count),
                    classes=np.full(count, int(ObjectClass.UNKNOWN)), scores=1.0 - np.exp(-n / 3.0),
                    velocities=np.column_stack([velocity, np.zeros(count)]))
    return RadarObjects(boxes, full, labels)
