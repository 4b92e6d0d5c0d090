"""Run Taishan's MultiObjectTracker (with the camera fusion stage) over one KITTI sequence, one class.

The tracker runs in KITTI_FRAME, fixed to the car (no ego poses in the data). Per frame: camera
boxes confirm PointRCNN boxes, the lidar batch and then the camera batch go to the tracker, and
the confirmed tracks it reports are written as KITTI rows. Output is online: a frame's rows are
what the tracker knows at that frame; earlier frames of a track confirmed later are not back-filled.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from datasets.kitti.calibration import KittiCalibration
from datasets.kitti.config import ClassConfig, KittiConfig
from datasets.kitti.frames import KITTI_FRAME, flu_to_kitti_boxes, observation_angle
from datasets.kitti.objects import KittiObjects
from datasets.kitti.sequence import (CAMERA_FRAME, CAMERA_SENSOR, KITTI_CLASS, LIDAR_FRAME, LIDAR_SENSOR,
                                     KittiSequence, frame_stamp_ns)
from fusion.camera_fusion.projection import project_boxes_3d
from fusion.camera_fusion.stage import CameraFusion
from fusion.config.loader import parse_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.objects import ObjectList, TrackStatus
from fusion.tracking.tracker import MultiObjectTracker


@dataclass
class SequenceRun:
    objects: KittiObjects
    tracking_s: float        # time spent tracking (inputs already in memory)
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


def _kitti_rows(frame: int, objects: ObjectList, boxes_2d: np.ndarray, type_name: str) -> KittiObjects:
    """KITTI rows of tracks; the score column is the track's existence probability."""
    n = len(objects)
    dims, locations, rotation_y = flu_to_kitti_boxes(objects.position, objects.size, objects.yaw)
    return KittiObjects(
        frames=np.full(n, frame, dtype=np.int64), track_ids=objects.track_ids.astype(np.int64),
        types=np.full(n, type_name, dtype=object), truncated=np.zeros(n), occluded=np.zeros(n, dtype=np.int64),
        alpha=observation_angle(locations, rotation_y), boxes_2d=boxes_2d, dimensions=dims, locations=locations,
        rotation_y=rotation_y, scores=objects.existence_probability.astype(float))


def track_sequence(sequence: KittiSequence, cls: str, config: KittiConfig, use_camera: bool) -> SequenceRun:
    """Track one class through a sequence; returns its KITTI rows and the time spent tracking."""
    settings = config.classes[cls]
    use_camera = use_camera and any(d.type == cls for d in sequence.camera)
    camera_measures = use_camera and settings.camera_mode == "measurement"
    vehicle = kitti_vehicle(sequence.calibration, settings, config, camera_measures)
    tracker = MultiObjectTracker(settings.tracker, vehicle, vehicle.transform_tree())
    camera, T_camera_kitti = sequence.calibration.camera(config.image.camera_index, config.image.width, config.image.height)
    fusion = CameraFusion(settings.camera_fusion, camera, T_camera_kitti) if use_camera else None
    label = int(KITTI_CLASS[cls])
    # Inputs are built before the clock starts: the throughput excludes reading and converting files.
    lidar_batches = [sequence.lidar_boxes(f, label) for f in range(sequence.n_frames)]
    camera_batches = [fusion.usable(sequence.camera_boxes(f, label)) for f in range(sequence.n_frames)] if fusion else []
    coast_ns = settings.output.max_coast_frames * (frame_stamp_ns(1) - frame_stamp_ns(0))
    output = settings.output
    no_match = (np.zeros(0, dtype=np.int64), np.zeros((0, 4)))
    rows = []
    start = time.perf_counter()
    for frame, lidar in enumerate(lidar_batches):
        stamp = lidar.stamp_ns
        if fusion is not None:
            lidar, _ = fusion.confirm_detections(lidar, camera_batches[frame])
        tracker.step(lidar)
        if fusion is None:
            objects, (matched, camera_boxes) = tracker.object_list(stamp, include_tentative=True), no_match
        elif camera_measures:
            tracker.step(camera_batches[frame])
            objects = tracker.object_list(stamp, include_tentative=True)
            matched, camera_boxes, _ = fusion.match_tracks(objects, camera_batches[frame])
        else:
            objects, matched, camera_boxes = fusion.observe_tracks(tracker, camera_batches[frame], settings.camera.detection_probability,
                                                                   settings.tracker.sensors.camera.hit_likelihood_ratio)
        tracks = tracker.tracks  # same rows as `objects`, with this frame's camera evidence applied
        report = ((tracks.status != TrackStatus.TENTATIVE) & (stamp - tracks.last_hit_ns <= coast_ns)
                  & (tracks.existence >= output.min_existence))
        boxes_2d, _ = project_boxes_3d(camera, T_camera_kitti, objects.position, objects.size, objects.yaw)
        if output.camera_box:
            boxes_2d[matched] = camera_boxes
        objects.existence_probability = tracks.existence.copy()
        rows.append(_kitti_rows(frame, objects.select(report), boxes_2d[report], cls))
    tracking_s = time.perf_counter() - start
    return SequenceRun(KittiObjects.concatenate(rows), tracking_s, tracker.diagnostics())
