"""Turn sensor batches into the BEV detector's inputs (base_link at the lidar sweep's stamp).

Used by the simulated training data and by the graph stage alike, so both feed the network the same
way: the lidar cloud deskewed when a twist is known, radar returns ego-motion compensated with the
radar's velocity fitted to the scan's static returns (zero Doppler where no fit is possible), every return moved into
base_link with the pose that maps the radar's frame at its stamp to base_link at the sweep's stamp.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.core.measurements import LidarPointCloud, RadarDetections
from fusion.core.transform import Transform
from fusion.learned.bev.raster import BevInputs
from sensors.lidar.preprocess import deskew
from sensors.radar.doppler import compensate, line_of_sight
from sensors.radar.ego_velocity import estimate_sensor_velocity


@dataclass
class RadarScan:
    """A radar batch and T_base_radar: its frame at its stamp seen from base_link at the sweep stamp."""

    detections: RadarDetections
    base_from_radar: Transform


def lidar_points_in_base(cloud: LidarPointCloud, base_from_lidar: Transform,
                         lidar_twist: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The cloud's points (N, 3) in base_link; deskewed to the stamp with the lidar's twist (linear,
    angular velocity in the lidar frame) when given and the cloud has a per-point 'time' field."""
    points = cloud.points
    if lidar_twist is not None and "time" in cloud.fields:
        points = deskew(points, cloud.fields["time"], *lidar_twist)
    return base_from_lidar.apply(points)


def bev_inputs(lidar_points_base: np.ndarray, lidar_intensity: np.ndarray, radar: list[RadarScan]) -> BevInputs:
    """Lidar points already in base_link plus radar scans (compensated here) as BevInputs."""
    parts = []
    for scan in radar:
        if not len(scan.detections):
            continue
        velocity = estimate_sensor_velocity(scan.detections)
        compensated = compensate(scan.detections, velocity.velocity) if velocity.valid else np.zeros(len(scan.detections))
        points = scan.base_from_radar.apply(scan.detections.to_cartesian())
        los = scan.base_from_radar.rotate(line_of_sight(scan.detections))
        parts.append((points, scan.detections.rcs, compensated, los))
    if parts:
        points, rcs, doppler, los = (np.concatenate(p) for p in zip(*parts))
    else:
        points, rcs, doppler, los = np.zeros((0, 3)), np.zeros(0), np.zeros(0), np.zeros((0, 3))
    return BevInputs(lidar_points_base, lidar_intensity, points, rcs, doppler, los)


def cloud_intensity(cloud: LidarPointCloud) -> np.ndarray:
    """Per-point intensity [0..255], zeros when the cloud has none."""
    return cloud.fields.get("intensity", np.zeros(len(cloud)))
