"""`taishan eval vod`: the sensor front-ends scored on the View-of-Delft example frames.

- Lidar: detector recall and precision for labelled cars and pedestrians within 50 m of the lidar
  and inside the camera's view (VoD labels only what the camera sees). A detection matches a label
  when their centres are at most 1 m apart or their bird's-eye-view IoU is at least 0.3 (one-to-one,
  Hungarian). Recall counts a label found by a box of its class; precision counts car / pedestrian
  boxes, where a box on a labelled neighbour class (a rider for a pedestrian, KITTI's rule for
  Van / Person_sitting) is neither right nor wrong. `lidar_recall_any_class` also accepts a box of
  another class or UNKNOWN (the clusterer found the object, the size rule did not name it).
- Radar: the ego velocity estimated from each scan against the one VoD's own compensation implies
  (v_r_compensated - v_r = u . v_sensor, solved by least squares; the frames are not consecutive,
  so the poses give no velocity); our compensated radial velocity against VoD's on all returns and
  on returns inside labelled moving objects; static / moving classification of labelled objects.
- Frustum fusion: the labels' 2D boxes stand in for a camera detector; each gets a range from the
  lidar boxes and radar returns in its frustum, scored against the label's 3D centre.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from fusion.core.boxes import box_corners, points_in_boxes
from fusion.core.classes import ObjectClass
from fusion.core.measurements import CameraDetections, LidarPointCloud

MAX_RANGE_M = 50.0
MATCH_DISTANCE_M = 1.0
MATCH_BEV_IOU = 0.3
EVALUATED = {"Car": ObjectClass.CAR, "Pedestrian": ObjectClass.PEDESTRIAN}
NEIGHBOURS = {"Car": ("truck", "vehicle_other"), "Pedestrian": ("rider",)}
RADAR_BOX_MARGIN_M = 0.25       # radar returns scatter a little around an object's surface
VELOCITY_TOLERANCE_MPS = 0.1


def bev_iou(centers_a: np.ndarray, sizes_a: np.ndarray, yaws_a: np.ndarray,
            centers_b: np.ndarray, sizes_b: np.ndarray, yaws_b: np.ndarray) -> np.ndarray:
    """Bird's-eye-view IoU (Na, Nb) of oriented boxes."""
    from datasets.kitti.box_iou import bev_intersection

    if len(centers_a) == 0 or len(centers_b) == 0:
        return np.zeros((len(centers_a), len(centers_b)))
    a = box_corners(centers_a, sizes_a, yaws_a)[:, :4, :2]
    b = box_corners(centers_b, sizes_b, yaws_b)[:, :4, :2]
    inter = bev_intersection(a[:, None], b[None, :])
    area_a, area_b = sizes_a[:, 0] * sizes_a[:, 1], sizes_b[:, 0] * sizes_b[:, 1]
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def match(det: tuple[np.ndarray, ...], gt: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matches (det rows, gt cols) under the centre-distance-or-BEV-IoU rule."""
    if len(det[0]) == 0 or len(gt[0]) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    distance = np.linalg.norm(det[0][:, None, :2] - gt[0][None, :, :2], axis=2)
    feasible = (distance <= MATCH_DISTANCE_M) | (bev_iou(*det, *gt) >= MATCH_BEV_IOU)
    rows, cols = linear_sum_assignment(np.where(feasible, distance, 1e6))
    ok = feasible[rows, cols]
    return rows[ok], cols[ok]


def _in_region(frame, centers_lidar: np.ndarray) -> np.ndarray:
    """Within MAX_RANGE_M of the lidar and projecting into the camera image."""
    uv, front = frame.camera.project(frame.T_camera_lidar.apply(centers_lidar))
    return (np.linalg.norm(centers_lidar[:, :2], axis=1) <= MAX_RANGE_M) & front & frame.camera.in_image(uv)


def evaluate_lidar(frames, detector) -> dict[str, Any]:
    counts = {name: {"labels": 0, "found": 0, "found_any_class": 0, "detections": 0, "ignored": 0} for name in EVALUATED}
    per_frame = {}
    for frame in frames:
        cloud = LidarPointCloud(0, "lidar", "vod_lidar", frame.lidar[:, :3].astype(float), {"intensity": frame.lidar[:, 3].astype(float)})
        boxes = detector.detect(cloud).boxes
        centers, sizes, yaws = frame.labels.boxes_in(frame.T_camera_lidar.inverse())
        names = np.array(frame.labels.names)
        label_region, det_region = _in_region(frame, centers), _in_region(frame, boxes.centers)
        per_frame[frame.frame] = {}
        for name, object_class in EVALUATED.items():
            gt_idx = np.flatnonzero(label_region & (names == name))
            gt = (centers[gt_idx], sizes[gt_idx], yaws[gt_idx])
            det_idx = np.flatnonzero(det_region & (boxes.classes == object_class))
            det = (boxes.centers[det_idx], boxes.sizes[det_idx], boxes.yaws[det_idx])
            rows, _ = match(det, gt)
            any_idx = np.flatnonzero(det_region)
            _, any_cols = match((boxes.centers[any_idx], boxes.sizes[any_idx], boxes.yaws[any_idx]), gt)
            unmatched = np.setdiff1d(np.arange(len(det_idx)), rows)
            nb_idx = np.flatnonzero(np.isin(names, NEIGHBOURS[name]))
            nb_rows, _ = match(tuple(a[unmatched] for a in det), (centers[nb_idx], sizes[nb_idx], yaws[nb_idx]))
            c = counts[name]
            c["labels"] += len(gt_idx)
            c["found"] += len(rows)
            c["found_any_class"] += len(any_cols)
            c["detections"] += len(det_idx)
            c["ignored"] += len(nb_rows)
            per_frame[frame.frame][name] = {"labels": int(len(gt_idx)), "found": int(len(rows)),
                                            "detections": int(len(det_idx)), "ignored": int(len(nb_rows))}
    labels = sum(c["labels"] for c in counts.values())
    scored = sum(c["detections"] - c["ignored"] for c in counts.values())
    ratio = lambda a, b: float(a / b) if b else float("nan")  # noqa: E731
    return {
        "lidar_recall": ratio(sum(c["found"] for c in counts.values()), labels),
        "lidar_precision": ratio(sum(c["found"] for c in counts.values()), scored),
        "lidar_recall_any_class": ratio(sum(c["found_any_class"] for c in counts.values()), labels),
        "lidar_per_class": {name: {**c, "recall": ratio(c["found"], c["labels"]),
                                   "precision": ratio(c["found"], c["detections"] - c["ignored"])}
                            for name, c in counts.items()},
        "lidar_per_frame": per_frame,
    }


def evaluate_radar(frames, front_end) -> dict[str, Any]:
    from sensors.radar.doppler import line_of_sight

    per_frame, all_errors, moving_errors = {}, [], []
    moving_hits = moving_total = static_hits = static_total = 0
    for frame in frames:
        detections = frame.radar_detections()
        result = front_end.process(detections)
        vod_compensated = frame.radar[:, 5].astype(float)
        implied, *_ = np.linalg.lstsq(line_of_sight(detections), vod_compensated - detections.range_rate, rcond=None)
        estimated = result.sensor_velocity.velocity
        errors = np.abs(result.compensated - vod_compensated)
        all_errors.append(errors)
        centers, sizes, yaws = frame.labels.boxes_in(frame.T_camera_radar.inverse())
        inside = points_in_boxes(detections.to_cartesian(), centers, sizes + 2 * RADAR_BOX_MARGIN_M, yaws)
        in_moving = inside[frame.labels.moving].any(axis=0)
        in_static = inside[~frame.labels.moving].any(axis=0) & ~in_moving
        moving_errors.append(errors[in_moving])
        moving_hits += int(np.count_nonzero(result.moving[in_moving]))
        moving_total += int(np.count_nonzero(in_moving))
        static_hits += int(np.count_nonzero(~result.moving[in_static]))
        static_total += int(np.count_nonzero(in_static))
        per_frame[frame.frame] = {
            "returns": len(detections), "static_returns": int(np.count_nonzero(result.sensor_velocity.static)),
            "sensor_velocity_mps": np.round(estimated[:2], 4).tolist(),
            "vod_implied_velocity_mps": np.round(implied[:2], 4).tolist(),
            "velocity_error_mps": float(np.linalg.norm(estimated[:2] - implied[:2])),
            "returns_in_moving_objects": int(np.count_nonzero(in_moving)),
            "moving_objects_found": len(result.objects),
        }
    all_errors, moving_errors = np.concatenate(all_errors), np.concatenate(moving_errors)
    return {
        "radar_ego_velocity_error_mps": max(f["velocity_error_mps"] for f in per_frame.values()),
        "radar_compensation_mae_mps": float(np.mean(all_errors)),
        "radar_compensation_p95_mps": float(np.percentile(all_errors, 95)),
        "radar_moving_object_returns": int(len(moving_errors)),
        "radar_moving_object_mae_mps": float(np.mean(moving_errors)),
        "radar_moving_object_within_tolerance": float(np.mean(moving_errors <= VELOCITY_TOLERANCE_MPS)),
        "radar_moving_object_returns_classified_moving": float(moving_hits / moving_total) if moving_total else float("nan"),
        "radar_static_object_returns_classified_static": float(static_hits / static_total) if static_total else float("nan"),
        "radar_per_frame": per_frame,
    }


def evaluate_frustum(frames, detector, front_end) -> dict[str, Any]:
    from sensors.camera.frustum import LIDAR, associate

    errors, sources, total = [], [], 0
    for frame in frames:
        labels = frame.labels
        classes = labels.classes
        road_users = np.flatnonzero(classes != int(ObjectClass.UNKNOWN))
        centers, _, _ = labels.boxes_in(frame.T_camera_lidar.inverse())
        camera = CameraDetections(0, "camera", "vod_labels_2d", boxes=labels.boxes_2d[road_users], classes=classes[road_users])
        cloud = LidarPointCloud(0, "lidar", "vod_lidar", frame.lidar[:, :3].astype(float))
        radar = front_end.process(frame.radar_detections())
        fused = associate(camera, frame.camera, frame.T_camera_lidar, detector.detect(cloud).boxes, radar.detections,
                          radar.compensated, frame.T_lidar_radar)
        total += len(road_users)
        truth = centers[road_users[fused.camera_index]]
        errors.append(np.linalg.norm(fused.centers[:, :2] - truth[:, :2], axis=1))
        sources.append(fused.range_source)
    errors, sources = np.concatenate(errors), np.concatenate(sources)
    return {
        "frustum_camera_boxes": total,
        "frustum_ranged_fraction": float(len(errors) / total) if total else float("nan"),
        "frustum_lidar_ranged_fraction": float(np.mean(sources == LIDAR) * len(errors) / total) if total else float("nan"),
        "frustum_median_position_error_m": float(np.median(errors)) if len(errors) else float("nan"),
        "frustum_within_1m_fraction": float(np.mean(errors <= 1.0)) if len(errors) else float("nan"),
    }


def run(args: argparse.Namespace) -> int:
    from datasets.vod import load_frames
    from fusion.commands.bench import report
    from sensors.lidar.detector import LidarDetector
    from sensors.radar.frontend import RadarFrontEnd

    frames = load_frames(args.data)
    detector, front_end = LidarDetector(), RadarFrontEnd()
    figures = {"frames": [f.frame for f in frames]}
    figures.update(evaluate_lidar(frames, detector))
    figures.update(evaluate_radar(frames, front_end))
    figures.update(evaluate_frustum(frames, detector, front_end))
    report(figures, args.json)
    return 0


def register(groups) -> None:
    parser = groups.add_to_group("eval", "vod", "lidar detector, radar Doppler and frustum fusion on View-of-Delft frames",
                                 description=__doc__)
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--data", metavar="DIR", type=Path, default=None,
                        help="VoD example folder (default: <repo>/../shared/data/vod-example)")
    parser.set_defaults(func=run)
