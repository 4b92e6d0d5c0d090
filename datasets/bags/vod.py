"""View-of-Delft frames as a rosbag2 bag (`taishan convert vod`): the HDL-64 sweep and the 3+1D
radar as sensor_msgs/PointCloud2, the rectified camera's CameraInfo, the sensors' poses as
/tf_static (lidar -> camera, lidar -> radar) and the labels as /ground_truth/objects (lidar frame).

The example frames are not consecutive and carry no stamps: frame i is stamped i seconds after
the epoch, so a replay sees independent snapshots one second apart. Labels have no track ids;
each object gets its row number in its frame.
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from datasets.bags.writer import BagWriter
from datasets.simulation.scenario import TruthFrame
from datasets.vod import load_frames
from fusion.core.time import NS_PER_S
from fusion.graph import topics
from fusion.messages import camera_info, ground_truth, pointcloud2, tf
from fusion.messages.tf import StampedTransform

LIDAR_FRAME, RADAR_FRAME, CAMERA_FRAME = "lidar", "radar", "camera"
LIDAR_SENSOR, RADAR_SENSOR, CAMERA_SENSOR = "lidar", "radar", "camera"
RADAR_FIELDS = ("x", "y", "z", "rcs", "v_r", "v_r_compensated", "time")


def write_vod_bag(root: Path | None, path: Path, *, storage: str = "mcap", overwrite: bool = False,
                  progress: bool = False) -> dict[str, int]:
    frames = load_frames(root)
    with BagWriter(path, storage=storage, overwrite=overwrite) as bag:
        T = bag.types
        first = frames[0]
        mounts = [StampedTransform(LIDAR_FRAME, CAMERA_FRAME, 0, first.T_camera_lidar.inverse()),
                  StampedTransform(LIDAR_FRAME, RADAR_FRAME, 0, first.T_lidar_radar)]
        bag.write(topics.TF_STATIC, tf.from_transforms(T, mounts), 0)
        for i, frame in enumerate(tqdm(frames, desc="VoD", unit="frame", file=sys.stderr, disable=not progress)):
            stamp = (i + 1) * NS_PER_S
            lidar = frame.lidar
            bag.write(topics.sensor_topic(LIDAR_SENSOR, "points"), pointcloud2.encode(
                T, stamp, LIDAR_FRAME, {"x": lidar[:, 0], "y": lidar[:, 1], "z": lidar[:, 2], "intensity": lidar[:, 3]}), stamp)
            radar = frame.radar
            bag.write(topics.sensor_topic(RADAR_SENSOR, "points"), pointcloud2.encode(
                T, stamp, RADAR_FRAME, {name: radar[:, j] for j, name in enumerate(RADAR_FIELDS)}), stamp)
            camera = replace(frame.camera, frame_id=CAMERA_FRAME)
            bag.write(topics.sensor_topic(CAMERA_SENSOR, "camera_info"), camera_info.from_camera(T, camera, stamp), stamp)
            labels = frame.labels
            centers, sizes, yaws = labels.boxes_in(frame.T_camera_lidar.inverse())
            n = len(labels)
            truth = TruthFrame(stamp, np.arange(n, dtype=np.int64), labels.classes, centers, np.zeros((n, 3)), yaws, sizes,
                               np.ones(n, dtype=bool))
            bag.write(topics.GROUND_TRUTH_OBJECTS, ground_truth.from_truth_frame(T, truth, LIDAR_FRAME), stamp)
        return dict(bag.counts)
