"""`taishan bench lidar`: per-frame time of the lidar front-end on the real View-of-Delft HDL-64
sweeps, stage by stage, against a plain open3d chain measured in the same run; and the radar
front-end's time per scan.

Each frame enters as a sensor_msgs/PointCloud2 (x, y, z, intensity float32, as a Velodyne driver
publishes it), so decoding is part of the front-end's time. The process is pinned to one CPU core
for the whole benchmark (both pipelines), as the target is stated per core. `median_ms` is wall
time; `cpu_median_ms` is the process's CPU time for the same frames, which other processes
competing for that core (on a shared machine: see `load_average_1min`) do not inflate.

The baseline is the straightforward open3d chain: numpy -> open3d, voxel_down_sample(0.15),
segment_plane (RANSAC, 0.2 m, 100 iterations), cluster_dbscan (eps 0.5 m, 5 points), then per
cluster select_by_index + get_minimal_oriented_bounding_box.
"""
from __future__ import annotations

import argparse
import os
import time
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

TARGET_MS = 50.0


@contextmanager
def one_core() -> Iterator[bool]:
    """Pin this process to one CPU core while inside; yields whether pinning was possible."""
    if not hasattr(os, "sched_setaffinity"):
        yield False
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield True
    finally:
        os.sched_setaffinity(0, before)


def naive_open3d_chain(points: np.ndarray) -> tuple[int, dict[str, float]]:
    """The baseline: number of boxes and stage times in ms."""
    import open3d as o3d

    times, start = {}, time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal start
        now = time.perf_counter()
        times[stage] = (now - start) * 1e3
        start = now

    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points))
    lap("to_open3d")
    cloud = cloud.voxel_down_sample(0.15)
    lap("voxel")
    _, ground = cloud.segment_plane(distance_threshold=0.2, ransac_n=3, num_iterations=100)
    objects = cloud.select_by_index(ground, invert=True)
    lap("ground")
    labels = np.asarray(objects.cluster_dbscan(eps=0.5, min_points=5))
    lap("cluster")
    boxes = 0
    for label in range(labels.max() + 1):
        member = np.flatnonzero(labels == label)
        if len(member) < 4:
            continue
        try:
            objects.select_by_index(member).get_minimal_oriented_bounding_box()
            boxes += 1
        except RuntimeError:    # coplanar or degenerate cluster: qhull refuses it
            continue
    lap("boxes")
    return boxes, times


def _median_stages(runs: list[dict[str, float]]) -> dict[str, float]:
    return {stage: float(np.median([run[stage] for run in runs])) for stage in runs[0]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rosbags.typesys import Stores, get_typestore
    from tqdm import tqdm

    from datasets.vod import load_frames
    from fusion.messages import pointcloud2
    from sensors.lidar.detector import LidarDetector
    from sensors.radar.frontend import RadarFrontEnd

    types = get_typestore(Stores.ROS2_HUMBLE).types.__getitem__
    frames = load_frames(getattr(args, "data", None))
    repeats, baseline_repeats = (3, 1) if args.quick else (30, 3)
    detector, radar_front_end = LidarDetector(), RadarFrontEnd()
    lidar_msgs = [pointcloud2.encode(types, 0, "lidar_top", {"x": f.lidar[:, 0], "y": f.lidar[:, 1], "z": f.lidar[:, 2],
                                                             "intensity": f.lidar[:, 3]}) for f in frames]
    radar_msgs = [pointcloud2.encode(types, 0, "radar", {"x": f.radar[:, 0], "y": f.radar[:, 1], "z": f.radar[:, 2],
                                                         "v_r": f.radar[:, 4], "rcs": f.radar[:, 3]}) for f in frames]

    ours, cpu_ms, baseline, radar_ms, boxes, baseline_boxes = [], [], [], [], {}, {}
    load_before = os.getloadavg()[0]
    with one_core() as pinned:
        detector.detect(pointcloud2.to_lidar_cloud(lidar_msgs[0], "lidar")[0])           # warm-up (imports, caches)
        radar_front_end.process(pointcloud2.to_radar_detections(radar_msgs[0], "radar")[0])
        for frame, msg in tqdm(list(zip(frames, lidar_msgs)) * repeats, desc="bench lidar: ours", unit="frame"):
            cpu_start, start = time.process_time(), time.perf_counter()
            cloud, _ = pointcloud2.to_lidar_cloud(msg, "lidar")
            decode_ms = (time.perf_counter() - start) * 1e3
            result = detector.detect(cloud)
            cpu_ms.append((time.process_time() - cpu_start) * 1e3)
            ours.append({"decode": decode_ms, **result.timings_ms})
            boxes[frame.frame] = len(result.boxes)
        for msg in radar_msgs * repeats:
            start = time.perf_counter()
            radar_front_end.process(pointcloud2.to_radar_detections(msg, "radar")[0])
            radar_ms.append((time.perf_counter() - start) * 1e3)
        for frame, msg in tqdm(list(zip(frames, lidar_msgs)) * baseline_repeats, desc="bench lidar: open3d baseline", unit="frame"):
            start = time.perf_counter()
            cloud, _ = pointcloud2.to_lidar_cloud(msg, "lidar")
            decode_ms = (time.perf_counter() - start) * 1e3
            count, times = naive_open3d_chain(cloud.points)
            baseline.append({"decode": decode_ms, **times})
            baseline_boxes[frame.frame] = count

    totals = [sum(run.values()) for run in ours]
    baseline_totals = [sum(run.values()) for run in baseline]
    median_ms = float(np.median(totals))
    return {
        "median_ms": median_ms,
        "p90_ms": float(np.percentile(totals, 90)),
        "cpu_median_ms": float(np.median(cpu_ms)),
        "target_ms": TARGET_MS,
        "meets_target": median_ms <= TARGET_MS,
        "stages_median_ms": _median_stages(ours),
        "points_per_frame": {f.frame: len(f.lidar) for f in frames},
        "boxes_per_frame": boxes,
        "baseline_open3d_median_ms": float(np.median(baseline_totals)),
        "baseline_open3d_stages_median_ms": _median_stages(baseline),
        "baseline_open3d_boxes_per_frame": baseline_boxes,
        "speedup_vs_open3d": float(np.median(baseline_totals) / median_ms),
        "radar_median_ms": float(np.median(radar_ms)),
        "radar_returns_per_scan": {f.frame: len(f.radar) for f in frames},
        "runs_per_frame": repeats,
        "pinned_to_one_core": pinned,
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
    }


def register(groups) -> None:
    parser = groups.add_benchmark("lidar", "lidar front-end per frame (by stage) and radar per scan on VoD frames, "
                                           "against a plain open3d chain", run)
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="VoD example folder (default: <repo>/../shared/data/vod-example)")
