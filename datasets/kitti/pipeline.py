"""Run Taishan's MultiObjectTracker (with the camera fusion stage) over one KITTI sequence, one class.

The tracker runs in KITTI_FRAME, fixed to the car (no ego poses in the data). Per frame: camera
boxes confirm PointRCNN boxes (fusion.camera_fusion.stage), the lidar batch goes to the tracker
(with the camera identity cost on association), then the camera boxes reach the tracks (as
life-cycle evidence, or as the tracker's camera measurement), and the confirmed tracks hit within
`output.max_coast_frames` are written as KITTI rows, with the matched camera box as the 2D box.

`build_tracker` is the hook that replaces the tracker's lidar association (for example the learned
cost, fusion.learned.association.cost.learned_tracker); `before_step` / `after_step` observe each
frame's 3D update (training-data recorders).

Output is online: a frame's rows are what the tracker knows at that frame. The frames before a
track's confirmation are not back-filled (that would need the future, and KITTI's offline scoring
would reward it); with the camera, a track is usually confirmed in the frame it starts (a lidar
and a camera hit), so little is lost.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from datasets.kitti.calibration import KittiCalibration
from datasets.kitti.config import ClassConfig, KittiConfig, OutputConfig
from datasets.kitti.frames import KITTI_FRAME
from datasets.kitti.objects import KittiObjects, kitti_rows
from datasets.kitti.sequence import (CAMERA_FRAME, CAMERA_SENSOR, KITTI_CLASS, LIDAR_FRAME, LIDAR_SENSOR,
                                     KittiSequence, frame_stamp_ns)
from fusion.camera_fusion.identity import CameraIdentityCost
from fusion.camera_fusion.projection import BoxProjector
from fusion.camera_fusion.association import iou_2d
from fusion.camera_fusion.stage import CameraFusion, TrackMatches
from fusion.config.loader import parse_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.measurements import Boxes3D
from fusion.core.objects import TrackStatus
from fusion.core.transform_tree import TransformTree
from fusion.tracking.config import TrackerConfig
from fusion.tracking.geometry import pairwise_iou_2d
from fusion.tracking.tracker import MultiObjectTracker


TrackerBuilder = Callable[[TrackerConfig, VehicleConfig, TransformTree], MultiObjectTracker]


@dataclass
class SequenceRun:
    objects: KittiObjects
    tracking_s: float        # CPU time of this process spent tracking (inputs already in memory)
    diagnostics: dict


def kitti_vehicle(calibration: KittiCalibration, settings: ClassConfig, config: KittiConfig, use_camera: bool) -> VehicleConfig:
    """The 'vehicle' of a KITTI sequence: PointRCNN as a lidar whose boxes are in KITTI_FRAME, and the
    rectified colour camera placed by the calibration (P = K [I | t])."""
    lidar, cam = settings.lidar, settings.camera
    sensors: dict[str, dict] = {LIDAR_SENSOR: {
        "kind": "lidar", "frame_id": LIDAR_FRAME, "rate_hz": 10.0,
        "mount": {"parent_frame": KITTI_FRAME, "translation": [0.0, 0.0, 0.0]},
        "min_range_m": 0.0, "max_range_m": lidar.max_range_m, "box_detection_probability": lidar.detection_probability,
        "box_center_std_m": lidar.box_center_std_m, "box_yaw_std_deg": lidar.box_yaw_std_deg,
        "box_size_std_m": lidar.box_size_std_m}}
    if use_camera:
        camera, T_camera_kitti = calibration.camera(config.image.camera_index, config.image.width, config.image.height)
        mount = T_camera_kitti.inverse()
        K = camera.K
        sensors[CAMERA_SENSOR] = {
            "kind": "camera", "frame_id": CAMERA_FRAME, "rate_hz": 10.0,
            "mount": {"parent_frame": KITTI_FRAME, "translation": mount.translation.tolist(),
                      "rotation_rpy_deg": np.degrees(mount.rpy).tolist()},
            "intrinsics": {"width": camera.width, "height": camera.height, "fx": float(K[0, 0]), "fy": float(K[1, 1]),
                           "cx": float(K[0, 2]), "cy": float(K[1, 2])},
            "max_range_m": cam.max_range_m, "detection_probability": cam.detection_probability, "box_noise_px": cam.box_noise_px}
    vehicle = {"vehicle": {"name": "kitti", "base_frame": KITTI_FRAME}, "sensors": sensors}
    return parse_config(vehicle, VehicleConfig, f"KITTI vehicle from {calibration.source}")


def image_boxes(matches: TrackMatches, output: OutputConfig) -> np.ndarray:
    """Each track's 2D box (N, 4): its matched camera box where that box overlaps the track's
    projected 3D box by `camera_box_min_iou` and, with `camera_box_exclusive`, no other visible
    track's projected box overlaps it more (a duplicate or an occluder's camera box may be matched to
    a track behind it; reporting it would hand that track's identity to the other object), else the
    projected 3D box."""
    boxes = matches.projected.copy()
    if len(matches.rows) == 0:
        return boxes
    own = pairwise_iou_2d(boxes[matches.rows], matches.boxes)
    fits = own >= output.camera_box_min_iou
    if output.camera_box_exclusive:
        fits &= own >= iou_2d(matches.boxes, boxes[matches.visible]).max(axis=1, initial=0.0)
    boxes[matches.rows[fits]] = matches.boxes[fits]
    return boxes


def track_sequence(sequence: KittiSequence, cls: str, config: KittiConfig, use_camera: bool, *,
                   build_tracker: TrackerBuilder | None = None,
                   before_step: Callable[[MultiObjectTracker, int, Boxes3D], None] | None = None,
                   after_step: Callable[[MultiObjectTracker], None] | None = None) -> SequenceRun:
    """Track one class through a sequence; returns its KITTI rows and the time spent tracking.

    build_tracker(tracker_config, vehicle, tree): the tracker to use, with its own lidar association
    cost (the camera identity cost is then not used; the camera still confirms detections and
    tracks); default: MultiObjectTracker with the configured Kalman (Mahalanobis) association.
    before_step(tracker, frame, boxes) / after_step(tracker): called around each frame's 3D update,
    with the batch the tracker gets."""
    settings = config.classes[cls]
    use_camera = use_camera and any(d.type == cls for d in sequence.camera)
    camera_measures = use_camera and settings.camera_mode == "measurement"
    vehicle = kitti_vehicle(sequence.calibration, settings, config, camera_measures)
    camera, T_camera_kitti = sequence.calibration.camera(config.image.camera_index, config.image.width, config.image.height)
    project = BoxProjector(camera, T_camera_kitti)
    fusion = CameraFusion(settings.camera_fusion, camera, T_camera_kitti) if use_camera else None
    if build_tracker is not None:
        tracker = build_tracker(settings.tracker, vehicle, vehicle.transform_tree())
    else:
        tracker_config, costs = settings.tracker, {}
        if fusion is not None and settings.camera_fusion.identity:
            association = tracker_config.association
            costs["lidar"] = CameraIdentityCost(fusion, settings.camera_fusion, association.gate_probability,
                                                lambda rows: tracker.tracks.ids[rows])
            wide = association.model_copy(update={"gate_probability": settings.camera_fusion.identity_gate_probability})
            tracker_config = tracker_config.model_copy(update={"association": wide})
        tracker = MultiObjectTracker(tracker_config, vehicle, vehicle.transform_tree(), costs=costs)
    min_score = settings.tracker.sensors.lidar.min_score
    label = int(KITTI_CLASS[cls])
    # Inputs are built before the clock starts: the throughput excludes reading and converting files.
    lidar_batches = [sequence.lidar_boxes(f, label) for f in range(sequence.n_frames)]
    camera_batches = [fusion.usable(sequence.camera_boxes(f, label)) for f in range(sequence.n_frames)] if fusion else []
    coast_ns = settings.output.max_coast_frames * (frame_stamp_ns(1) - frame_stamp_ns(0))
    output = settings.output
    reported: list[tuple[np.ndarray, ...]] = []   # per frame: track ids, centres, sizes, yaws, scores, image boxes
    start = time.process_time()
    for frame, lidar in enumerate(lidar_batches):
        stamp = lidar.stamp_ns
        if fusion is not None:
            lidar = fusion.confirm_detections(lidar, camera_batches[frame], min_score)
        if before_step is not None:
            before_step(tracker, frame, lidar)
        tracker.step(lidar)
        if after_step is not None:
            after_step(tracker)
        if fusion is not None:
            if camera_measures:
                tracker.step(camera_batches[frame])
                objects = tracker.object_list(stamp, include_tentative=True)
                matches = fusion.match_tracks(objects, camera_batches[frame])
            else:
                objects, matches = fusion.observe_tracks(tracker, camera_batches[frame], settings.camera.detection_probability,
                                                         settings.tracker.sensors.camera.hit_likelihood_ratio)
            fusion.retire(tracker, matches)
            boxes_2d = image_boxes(matches, output) if output.camera_box else matches.projected
        else:
            objects = tracker.object_list(stamp, include_tentative=True)
        tracks = tracker.tracks  # same rows as `objects`, with this frame's camera evidence applied
        report = np.flatnonzero((tracks.status != TrackStatus.TENTATIVE) & (stamp - tracks.last_hit_ns <= coast_ns)
                                & (tracks.existence >= output.min_existence) & (tracks.existence > 0.0))  # 0: retired
        centers, sizes, yaws = objects.position[report], objects.size[report], objects.yaw[report]
        if fusion is None:
            boxes_2d, _ = project(centers, sizes, yaws)
        else:
            boxes_2d = boxes_2d[report]
        ids = objects.track_ids[report]
        reported.append((ids if fusion is None else fusion.reported_ids(ids), centers, sizes, yaws,
                         tracks.existence[report], boxes_2d))
    frames = np.repeat(np.arange(len(reported)), [len(r[0]) for r in reported])
    columns = [np.concatenate(column) for column in zip(*reported)] if reported else [np.zeros(0)] * 6
    results = kitti_rows(frames, *columns, cls)   # output conversion counts as tracking time
    tracking_s = time.process_time() - start
    return SequenceRun(results, tracking_s, tracker.diagnostics())
