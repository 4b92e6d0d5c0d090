"""Frustum association: camera boxes take their range from the lidar boxes and radar returns that
project into them.

A camera detection knows what an object is but not how far away it is; lidar clusters and radar
returns know where things are but not what they are. Every lidar box is projected into the image
and the camera boxes are matched one-to-one to the projected boxes (Hungarian on 2D IoU, gated so
the lidar box's centre lies inside the camera box: its frustum). Radar returns whose projection
falls inside a camera box and whose depth is near the object's give it a radial velocity; a camera
box with no lidar match takes its depth from the nearest group of radar returns in its frustum.
The fused object has the camera's class and score, and its position from lidar or radar.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from fusion.core.boxes import box_corners
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import Boxes3D, CameraDetections, RadarDetections
from fusion.core.transform import Transform
from fusion.camera_fusion.association import iou_2d
from sensors.camera.pinhole import PinholeCamera

# Box size (l, w, h) given to an object whose range comes from radar alone.
TYPICAL_SIZES = {
    ObjectClass.CAR: (4.5, 1.8, 1.5), ObjectClass.TRUCK: (8.0, 2.5, 3.2), ObjectClass.BUS: (12.0, 2.6, 3.2),
    ObjectClass.TRAILER: (8.0, 2.5, 3.0), ObjectClass.MOTORCYCLE: (2.0, 0.8, 1.5), ObjectClass.BICYCLE: (1.8, 0.6, 1.7),
    ObjectClass.PEDESTRIAN: (0.6, 0.6, 1.7), ObjectClass.UNKNOWN: (1.0, 1.0, 1.0),
}

LIDAR, RADAR = 1, 2


@dataclass
class FusedObjects:
    """Camera detections that got a range, in the lidar boxes' frame: camera_index (M,) into the
    CameraDetections, classes and scores from the camera, centers (M, 3), sizes (M, 3), yaws (M,),
    range_source (M,) LIDAR or RADAR, lidar_index (M,) (-1 without lidar), radar_count (M,) returns
    in the object, radial_velocity (M,) median compensated radial velocity (NaN without radar)."""

    frame_id: str
    camera_index: np.ndarray
    classes: np.ndarray
    scores: np.ndarray
    centers: np.ndarray
    sizes: np.ndarray
    yaws: np.ndarray
    range_source: np.ndarray
    lidar_index: np.ndarray
    radar_count: np.ndarray
    radial_velocity: np.ndarray

    def __len__(self) -> int:
        return len(self.camera_index)


def _inside(boxes: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """(D, N) whether pixels uv (N, 2) lie in boxes (D, 4)."""
    u, v = uv[None, :, 0], uv[None, :, 1]
    return (u >= boxes[:, None, 0]) & (u <= boxes[:, None, 2]) & (v >= boxes[:, None, 1]) & (v <= boxes[:, None, 3])


def associate(detections: CameraDetections, camera: PinholeCamera, T_camera_lidar: Transform, lidar_boxes: Boxes3D,
              radar: RadarDetections | None = None, radar_compensated: np.ndarray | None = None,
              T_lidar_radar: Transform | None = None, min_iou: float = 0.1, depth_gate_m: float = 2.0) -> FusedObjects:
    """Fuse camera detections with lidar boxes (in the lidar frame) and, optionally, radar returns
    with their ego-compensated radial velocities (T_lidar_radar places the radar)."""
    d = len(detections)
    cam_boxes = detections.boxes
    lidar_match = np.full(d, -1, dtype=np.int64)
    if d and len(lidar_boxes):
        corners = box_corners(lidar_boxes.centers, lidar_boxes.sizes, lidar_boxes.yaws)
        projected, in_front = camera.project_boxes(T_camera_lidar.apply(corners))
        centre_uv, centre_front = camera.project(T_camera_lidar.apply(lidar_boxes.centers))
        gate = _inside(cam_boxes, centre_uv) & (in_front & centre_front)[None, :]
        iou = np.where(gate, iou_2d(cam_boxes, projected), 0.0)
        rows, cols = linear_sum_assignment(-iou)
        ok = iou[rows, cols] >= min_iou
        lidar_match[rows[ok]] = cols[ok]

    centers = np.full((d, 3), np.nan)
    matched = lidar_match >= 0
    centers[matched] = lidar_boxes.centers[lidar_match[matched]]
    depth = np.full(d, np.nan)
    depth[matched] = T_camera_lidar.apply(centers[matched])[:, 2]

    radar_count = np.zeros(d, dtype=np.int64)
    radial_velocity = np.full(d, np.nan)
    if radar is not None and (radar_compensated is None or T_lidar_radar is None):
        raise InputError(radar.source, "radar returns need their compensated radial velocities and T_lidar_radar")
    if radar is not None and len(radar) and d:
        points_camera = (T_camera_lidar @ T_lidar_radar).apply(radar.to_cartesian())
        uv, front = camera.project(points_camera)
        inside = _inside(cam_boxes, uv) & front[None, :]
        z = np.where(inside, points_camera[None, :, 2], np.inf)
        nearest = z.min(axis=1)
        reference = np.where(matched, depth, nearest)           # lidar depth, else the nearest radar group
        member = inside & (np.abs(z - np.where(np.isfinite(reference), reference, 0.0)[:, None]) <= depth_gate_m)
        radar_count = member.sum(axis=1)
        has = radar_count > 0
        velocities = np.where(member, radar_compensated[None, :], np.nan)
        depths = np.where(member, z, np.nan)
        radial_velocity[has] = np.nanmedian(velocities[has], axis=1)
        radar_only = has & ~matched
        ray = camera.unproject(np.column_stack([(cam_boxes[:, 0] + cam_boxes[:, 2]) / 2, (cam_boxes[:, 1] + cam_boxes[:, 3]) / 2]))
        centers[radar_only] = T_camera_lidar.inverse().apply(ray[radar_only] * np.nanmedian(depths[radar_only], axis=1)[:, None])

    ranged = ~np.isnan(centers[:, 0])
    sizes = np.array([TYPICAL_SIZES[ObjectClass(c)] for c in detections.classes], dtype=float).reshape(-1, 3)
    yaws = np.zeros(d)
    sizes[matched] = lidar_boxes.sizes[lidar_match[matched]]
    yaws[matched] = lidar_boxes.yaws[lidar_match[matched]]
    source = np.where(matched, LIDAR, RADAR)
    return FusedObjects(lidar_boxes.frame_id, np.flatnonzero(ranged), detections.classes[ranged], detections.scores[ranged],
                        centers[ranged], sizes[ranged], yaws[ranged], source[ranged], lidar_match[ranged],
                        radar_count[ranged], radial_velocity[ranged])
