"""A KITTI tracking sequence as a rosbag2 bag (`taishan convert kitti`): PointRCNN boxes as the
lidar's vision_msgs/Detection3DArray, RRC boxes as the camera's Detection2DArray with its
CameraInfo, the camera's pose as /tf_static, and the official labels as /ground_truth/objects.

Frame k is stamped k x 100 ms (KITTI's 10 Hz) and logged at its stamp. Everything is in the
sequence's own frames (KITTI_FRAME, REP 103 axes, moving with the car: the tracking sequences'
detections carry no ego motion); the lidar boxes are stamped with the detector's frame
(LIDAR_FRAME, mounted at KITTI_FRAME without offset), as a lidar front-end expects. Labels of
classes Taishan does not track (DontCare, Misc, Tram) are left out. The sensor names are those of
datasets.kitti.sequence, so a replay needs the matching vehicle config: configs/kitti_replay
(`taishan replay BAG --config configs/kitti_replay --eval`).
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from datasets.bags.writer import BagWriter
from datasets.kitti.frames import KITTI_FRAME, kitti_to_flu_boxes
from datasets.kitti.layout import LIDAR_CLASSES, KittiLayout
from datasets.kitti.objects import read_tracking_file
from datasets.kitti.sequence import CAMERA_SENSOR, LIDAR_FRAME, LIDAR_SENSOR, frame_stamp_ns, load_sequence
from datasets.simulation.scenario import TruthFrame
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.transform import Transform
from fusion.graph import topics
from fusion.messages import camera_info, detection2d, detection3d, ground_truth, tf
from fusion.messages.tf import StampedTransform

IMAGE_SIZE = (1242, 375)   # KITTI tracking colour images (width, height)


def _truth_frames(layout: KittiLayout, sequence: str, n_frames: int) -> list[TruthFrame]:
    labels = read_tracking_file(layout.labels(sequence), n_frames)
    known = {t: ObjectClass.parse(t) for t in set(labels.types.tolist()) if t not in ("DontCare", "Misc", "Tram")}
    keep = np.array([t in known for t in labels.types], dtype=bool)
    labels = labels.select(keep)
    centers, sizes, yaws = kitti_to_flu_boxes(labels.dimensions, labels.locations, labels.rotation_y)
    classes = np.array([int(known[t]) for t in labels.types], dtype=np.int64)
    frames = []
    for k in range(n_frames):
        rows = np.flatnonzero(labels.frames == k)
        frames.append(TruthFrame(frame_stamp_ns(k), labels.track_ids[rows].astype(np.int64), classes[rows], centers[rows],
                                 np.zeros((len(rows), 3)), yaws[rows], sizes[rows], np.ones(len(rows), dtype=bool)))
    return frames


def write_kitti_bag(root: Path, sequence: str, path: Path, *, storage: str = "mcap", overwrite: bool = False,
                    progress: bool = False) -> dict[str, int]:
    layout = KittiLayout(Path(root))
    entries = {e.name: e for e in layout.sequences()}
    if sequence not in entries:
        raise InputError(f"KITTI sequence {sequence!r}", f"not in {layout.seqmap} (sequences: {', '.join(entries)})")
    entry = entries[sequence]
    seq = load_sequence(layout, entry, list(LIDAR_CLASSES), with_camera=True)
    camera, T_camera_kitti = seq.calibration.camera(2, *IMAGE_SIZE)
    truth = _truth_frames(layout, sequence, entry.n_frames)
    with BagWriter(path, storage=storage, overwrite=overwrite) as bag:
        T = bag.types
        mounts = [StampedTransform(KITTI_FRAME, LIDAR_FRAME, 0, Transform.identity()),
                  StampedTransform(KITTI_FRAME, camera.frame_id, 0, T_camera_kitti.inverse())]
        bag.write(topics.TF_STATIC, tf.from_transforms(T, mounts), 0)
        for k in tqdm(range(entry.n_frames), desc=f"KITTI {sequence}", unit="frame", file=sys.stderr, disable=not progress):
            stamp = frame_stamp_ns(k)
            bag.write(topics.GROUND_TRUTH_OBJECTS, ground_truth.from_truth_frame(T, truth[k], KITTI_FRAME), stamp)
            boxes = replace(seq.lidar_boxes(k), frame_id=LIDAR_FRAME)   # KITTI_FRAME and LIDAR_FRAME coincide
            bag.write(topics.sensor_topic(LIDAR_SENSOR, "detections"), detection3d.from_boxes3d(T, boxes), stamp)
            bag.write(topics.sensor_topic(CAMERA_SENSOR, "camera_info"), camera_info.from_camera(T, camera, stamp), stamp)
            bag.write(topics.sensor_topic(CAMERA_SENSOR, "detections"), detection2d.from_camera_detections(T, seq.camera_boxes(k)), stamp)
        return dict(bag.counts)
