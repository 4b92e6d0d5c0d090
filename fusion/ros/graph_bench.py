"""Stamp-to-object-list latency through the live graph: run by `taishan bench graph` in .venv-ros,
inside the private network namespace (python -m fusion.ros.graph_bench --json PATH).

The graph is launched from launch/taishan.launch.yaml with the lidar front-end (fed an upstream
detector's Detection3DArray) and the tracker; this process stands in for the detector and the ego
estimator (/tf map -> base_link). At 20 Hz it publishes 100 boxes stamped with the current time
plus one probe box at a place no other box has been for a while. The probe starts a track (tentative
tracks are output), so the first object list holding a track at the probe's place is the first
that includes that detection: its arrival minus the detection's stamp is the latency, measured
exactly rather than guessed from timing. Each measurement's path: this process -> lidar front-end ->
tracker -> this process, over DDS on loopback. The tracker publishes on a timer
(objects_rate_hz), so the latency includes waiting for the next tick; the reorder window is 0 (one
sensor: nothing to reorder). transport_*: the same 100-box message published and received by this
process alone, the DDS baseline measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import rclpy
import yaml

from datasets.bags.typestore import default_typestore
from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.classes import ObjectClass
from fusion.core.measurements import Boxes3D
from fusion.core.transform import Transform
from fusion.graph import topics
from fusion.messages import detection3d, tf
from fusion.messages.header import header_stamp_ns
from fusion.messages.tf import StampedTransform
from fusion.messages.tracked_objects import to_object_list
from fusion.ros.graph_client import GraphClient, LaunchedGraph
from fusion.ros.message_types import ros_type

RATE_HZ = 20.0
OBJECTS = 100
OBJECTS_RATE_HZ = 20.0      # the object list at the input rate; faster ticks cost the tracker more CPU than they save
WARMUP_S = 2.0
PROBE_SLOTS = 30            # probe places, reused after 30 detections (1.5 s; a probe track is gone after 3 misses)
PROBE_MATCH_M = 0.5
SETTLE_S = 1.0


def grid_boxes() -> tuple[np.ndarray, np.ndarray]:
    """100 car boxes on a 10 x 10 grid ahead of and beside the lidar (lidar frame), and the probe places."""
    xs, ys = np.meshgrid(8.0 + 6.0 * np.arange(10), -18.0 + 4.0 * np.arange(10), indexing="ij")
    grid = np.column_stack([xs.ravel(), ys.ravel(), np.full(xs.size, -1.0)])[:OBJECTS]
    probes = np.array([[8.0 + 6.0 * (k % 10), -30.0 - 5.0 * (k // 10), -1.0] for k in range(PROBE_SLOTS)])
    return grid, probes


def write_params(path: Path, source: str, **sections: dict[str, Any]) -> Path:
    data = yaml.safe_load((config_dir() / source).read_text())
    params = data["/**"]["ros__parameters"]
    for key, values in sections.items():
        if isinstance(values, dict):
            params.setdefault(key, {}).update(values)
        else:
            params[key] = values
    path.write_text(yaml.safe_dump(data))
    return path


def percentiles(values: list[float]) -> tuple[float, float]:
    return (float(np.percentile(values, 50)), float(np.percentile(values, 99))) if values else (float("nan"), float("nan"))


def measure(duration_s: float, objects_rate_hz: float, work: Path) -> dict[str, Any]:
    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    lidar_name, lidar = next(iter(vehicle.sensors_of_kind("lidar").items()))
    base = vehicle.vehicle.base_frame
    T_base_lidar = vehicle.transform_tree().lookup(base, lidar.frame_id)
    grid, probes = grid_boxes()
    probes_map = T_base_lidar.apply(probes)   # map == base_link: the ego stands still at the origin
    arguments = {
        "camera": "false", "radar": "false", "ego": "false",
        "graph_config": str(write_params(work / "graph.yaml", "graph.yaml", lidar_input="detections",
                                         objects_rate_hz=objects_rate_hz)),
        "tracker_config": str(write_params(work / "tracker.yaml", "tracker.yaml", timing={"reorder_window_s": 0.0},
                                           management={"output_tentative": True})),
    }
    store = default_typestore()   # decodes the raw messages after their arrival is timed (faster than rclpy)
    rclpy.init()
    graph = LaunchedGraph(arguments)
    client = GraphClient("taishan_graph_bench")
    sent: dict[int, tuple[int, int]] = {}          # detection index -> (stamp ns, probe slot)
    latencies: dict[int, float] = {}
    transport: list[float] = []
    lists = 0

    def on_objects(raw: bytes) -> None:
        nonlocal lists
        arrived = client.get_clock().now().nanoseconds
        lists += 1
        objects = to_object_list(store.deserialize_cdr(raw, "autoware_perception_msgs/msg/TrackedObjects"))
        for i, (stamp, slot) in list(sent.items()):
            # a list stamped before the detection cannot hold it; one stamped after the probe's place was
            # used again cannot tell the two apart (that detection then counts as not seen)
            if i in latencies or not stamp <= objects.stamp_ns < stamp + reuse_ns or not len(objects):
                continue
            if np.min(np.linalg.norm(objects.position - probes_map[slot], axis=1)) <= PROBE_MATCH_M:
                latencies[i] = (arrived - stamp) / 1e6

    def on_own(raw: bytes) -> None:
        arrived = client.get_clock().now().nanoseconds
        msg = store.deserialize_cdr(raw, "vision_msgs/msg/Detection3DArray")
        transport.append((arrived - header_stamp_ns(msg.header, "own")) / 1e6)

    reuse_ns = int(PROBE_SLOTS / RATE_HZ * 1e9)
    detections_topic = topics.sensor_topic(lidar_name, "detections")
    try:
        client.publisher(detections_topic, "vision_msgs/msg/Detection3DArray")
        client.publisher(topics.TF, "tf2_msgs/msg/TFMessage")
        client.subscribe(topics.OBJECTS, "autoware_perception_msgs/msg/TrackedObjects", on_objects, raw=True)
        client.subscribe(detections_topic, "vision_msgs/msg/Detection3DArray", on_own, raw=True)
        client.wait_matched(90.0, graph)
        period = 1.0 / RATE_HZ
        count = int(duration_s * RATE_HZ)
        start = time.monotonic()
        for i in range(count):
            client.spin_for(max(0.0, start + i * period - time.monotonic()))
            stamp = client.get_clock().now().nanoseconds
            slot = i % PROBE_SLOTS
            centers = np.vstack([grid, probes[slot]])
            boxes = Boxes3D(stamp, lidar.frame_id, lidar_name, centers=centers, sizes=np.tile([4.0, 1.8, 1.5], (len(centers), 1)),
                            yaws=np.zeros(len(centers)), classes=np.full(len(centers), int(ObjectClass.CAR)),
                            scores=np.full(len(centers), 0.9))
            client.publish(topics.TF, tf.from_transforms(ros_type, [StampedTransform("map", base, stamp, Transform.identity())]))
            client.publish(detections_topic, detection3d.from_boxes3d(ros_type, boxes))
            if i * period >= WARMUP_S:
                sent[i] = (stamp, slot)
        client.spin_for(SETTLE_S)
        alive = graph.alive()
    finally:
        client.close()
        rclpy.shutdown()
        code, log = graph.stop()
    if not alive or code != 0:
        raise RuntimeError(f"the graph failed (exit {code}):\n{log[-4000:]}")
    p50, p99 = percentiles(list(latencies.values()))
    t50, t99 = percentiles(transport)
    return {"latency_p50_ms": round(p50, 2), "latency_p99_ms": round(p99, 2), "target_p99_ms": 50.0,
            "transport_p50_ms": round(t50, 2), "transport_p99_ms": round(t99, 2),
            "detections_timed": len(sent), "detections_not_seen": len(sent) - len(latencies), "object_lists": lists,
            "objects": OBJECTS, "input_rate_hz": RATE_HZ, "objects_rate_hz": objects_rate_hz, "reorder_window_s": 0.0,
            "path": "bench -> lidar_frontend -> tracker -> bench (rclpy, DDS on loopback)"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fusion.ros.graph_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", required=True, help="write the figures here")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of detections at 20 Hz")
    parser.add_argument("--objects-rate", type=float, default=OBJECTS_RATE_HZ, help="the tracker's object list rate [Hz]")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="taishan-graph-bench-") as tmp:
        figures = measure(args.duration, args.objects_rate, Path(tmp))
    Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
