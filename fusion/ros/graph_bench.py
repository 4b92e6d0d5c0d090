"""Stamp-to-object-list latency through the live graph: run by `taishan bench graph` in .venv-ros,
inside the private network namespace (python -m fusion.ros.graph_bench --json PATH).

The graph is launched from launch/taishan.launch.yaml with the lidar front-end (fed an upstream
detector's Detection3DArray) and the tracker; this process stands in for the detector and the ego
estimator (/tf map -> base_link). At 20 Hz it publishes 100 boxes stamped with the current time
plus one probe box at a place no other box has been for a while. The probe starts a track (tentative
tracks are output), so the first object list holding a track at the probe's place is the first
that includes that detection: its arrival minus the detection's stamp is the latency, measured
exactly rather than guessed from timing (each list's arrival is timed on receipt; the lists are
decoded after the run, so that decoding them does not compete with the graph for the CPU).

Two layouts, one after the other: 'composed' (launch argument compose:=true: the front-end and the
tracker in one process, taishan_fusion_node; the headline latency_* figures) and 'separate' (one
process each, the launch default; separate_latency_*). Either way the path is this process -> the
graph -> this process over DDS on loopback, through real rclpy. The tracker publishes the object
list right after processing each input (the launch files' objects_trigger 'input'), or with
`--trigger timer` at objects_rate_hz, the latency then including the wait for the next tick; the
reorder window is 0 (one sensor: nothing to reorder). Timing starts WARMUP_S after the first object
list arrives (once every DDS connection of the graph carries data). The detector's message is built
once and then only restamped and its probe box moved (a detector's own encoding is not what is
measured); rclpy serializes it on every publish. transport_*: the same message published and
received by this process alone, the DDS baseline measured in the same run (its stamp read straight
from the CDR header).
"""
from __future__ import annotations

import argparse
import json
import struct
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
from fusion.core.time import ns_to_ros_time
from fusion.core.transform import Transform
from fusion.graph import topics
from fusion.messages import detection3d, tf
from fusion.messages.tf import StampedTransform
from fusion.messages.tracked_objects import to_object_list
from fusion.ros.graph_client import GraphClient, LaunchedGraph
from fusion.ros.message_types import ros_type

RATE_HZ = 20.0
OBJECTS = 100
OBJECTS_RATE_HZ = 20.0      # the object list at the input rate; faster ticks cost the tracker more CPU than they save
WARMUP_S = 2.0              # after the first object list: the graph's DDS connections all carry data by then
FIRST_LIST_DEADLINE_S = 60.0
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
    path.write_text(yaml.safe_dump(data, sort_keys=False))   # the shipped key order, easier to read
    return path


def percentiles(values: list[float]) -> tuple[float, float]:
    return (float(np.percentile(values, 50)), float(np.percentile(values, 99))) if values else (float("nan"), float("nan"))


def cdr_header_stamp_ns(raw: bytes) -> int:
    """The stamp of a serialized message whose first field is a std_msgs/Header: after the 4-byte
    encapsulation header, int32 sec and uint32 nanosec (little endian, as rclpy writes it here)."""
    if raw[1] != 1:
        raise ValueError(f"not little-endian CDR (encapsulation {raw[:2].hex()})")
    sec, nanosec = struct.unpack_from("<iI", raw, 4)
    return sec * 1_000_000_000 + nanosec


def _latencies(sent: dict[int, tuple[int, int]], received: list[tuple[int, bytes]], probes_map: np.ndarray) -> dict[int, float]:
    """Detection index -> ms from its stamp to the arrival of the first object list holding its probe.
    A list stamped before the detection cannot hold it; one stamped after the probe's place was used
    again cannot tell the two apart (that detection then counts as not seen)."""
    store = default_typestore()
    reuse_ns = int(PROBE_SLOTS / RATE_HZ * 1e9)
    latencies: dict[int, float] = {}
    for arrived, raw in received:
        objects = to_object_list(store.deserialize_cdr(raw, "autoware_perception_msgs/msg/TrackedObjects"))
        if not len(objects):
            continue
        for i, (stamp, slot) in sent.items():
            if i not in latencies and stamp <= objects.stamp_ns < stamp + reuse_ns and \
                    np.min(np.linalg.norm(objects.position - probes_map[slot], axis=1)) <= PROBE_MATCH_M:
                latencies[i] = (arrived - stamp) / 1e6
    return latencies


PATHS = {"composed": "bench -> fusion node (lidar front-end -> tracker in-process) -> bench (rclpy, DDS on loopback)",
         "separate": "bench -> lidar_frontend -> tracker -> bench (rclpy, DDS on loopback)"}


def measure(duration_s: float, objects_rate_hz: float, trigger: str, layout: str, work: Path) -> dict[str, Any]:
    """One run of the graph in `layout` ('composed': launch argument compose:=true, 'separate')."""
    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    lidar_name, lidar = next(iter(vehicle.sensors_of_kind("lidar").items()))
    base = vehicle.vehicle.base_frame
    T_base_lidar = vehicle.transform_tree().lookup(base, lidar.frame_id)
    grid, probes = grid_boxes()
    probes_map = T_base_lidar.apply(probes)   # map == base_link: the ego stands still at the origin
    arguments = {
        "camera": "false", "radar": "false", "ego": "false", "objects_trigger": trigger, "compose": str(layout == "composed").lower(),
        "graph_config": str(write_params(work / "graph.yaml", "graph.yaml", lidar_input="detections",
                                         objects_rate_hz=objects_rate_hz)),
        "tracker_config": str(write_params(work / "tracker.yaml", "tracker.yaml", timing={"reorder_window_s": 0.0},
                                           management={"output_tentative": True})),
    }
    rclpy.init()
    graph = LaunchedGraph(arguments)
    client = GraphClient("taishan_graph_bench")
    sent: dict[int, tuple[int, int]] = {}          # detection index -> (stamp ns, probe slot)
    received: list[tuple[int, bytes]] = []         # (arrival ns, serialized object list), decoded after the run
    transport: list[float] = []

    def on_objects(raw: bytes) -> None:
        received.append((client.get_clock().now().nanoseconds, raw))

    def on_own(raw: bytes) -> None:
        transport.append((client.get_clock().now().nanoseconds - cdr_header_stamp_ns(raw)) / 1e6)

    detections_topic = topics.sensor_topic(lidar_name, "detections")
    try:
        client.publisher(detections_topic, "vision_msgs/msg/Detection3DArray")
        client.publisher(topics.TF, "tf2_msgs/msg/TFMessage")
        client.subscribe(topics.OBJECTS, "autoware_perception_msgs/msg/TrackedObjects", on_objects, raw=True)
        client.subscribe(detections_topic, "vision_msgs/msg/Detection3DArray", on_own, raw=True)
        client.wait_matched(90.0, graph)
        period = 1.0 / RATE_HZ
        timed = int((duration_s - WARMUP_S) * RATE_HZ)
        centers = np.vstack([grid, probes[0]])
        detections = detection3d.from_boxes3d(ros_type, Boxes3D(
            0, lidar.frame_id, lidar_name, centers=centers, sizes=np.tile([4.0, 1.8, 1.5], (len(centers), 1)),
            yaws=np.zeros(len(centers)), classes=np.full(len(centers), int(ObjectClass.CAR)), scores=np.full(len(centers), 0.9)))
        pose = tf.from_transforms(ros_type, [StampedTransform("map", base, 0, Transform.identity())])
        probe = detections.detections[-1].bbox.center.position   # the probe's pose is also its hypothesis' pose
        start, timed_from, i = time.monotonic(), None, 0
        while len(sent) < timed:
            client.spin_for(max(0.0, start + i * period - time.monotonic()))
            if timed_from is None and received:
                timed_from = i + int(WARMUP_S * RATE_HZ)
            if timed_from is None and i * period > FIRST_LIST_DEADLINE_S:
                raise RuntimeError(f"no object list arrived within {FIRST_LIST_DEADLINE_S:.0f} s of detections:\n{graph.output()[-4000:]}")
            stamp = client.get_clock().now().nanoseconds
            slot = i % PROBE_SLOTS
            probe.x, probe.y, probe.z = (float(v) for v in probes[slot])
            for header in (detections.header, pose.transforms[0].header):   # the detections share the array's header
                header.stamp.sec, header.stamp.nanosec = ns_to_ros_time(stamp)
            client.publish(topics.TF, pose)
            client.publish(detections_topic, detections)
            if timed_from is not None and i >= timed_from:
                sent[i] = (stamp, slot)
            i += 1
        client.spin_for(SETTLE_S)
        alive = graph.alive()
    finally:
        client.close()
        rclpy.shutdown()
        code, log = graph.stop()
    if not alive or code != 0:
        raise RuntimeError(f"the graph failed (exit {code}):\n{log[-4000:]}")
    latencies = _latencies(sent, received, probes_map)
    p50, p99 = percentiles(list(latencies.values()))
    t50, t99 = percentiles(transport)
    return {"latency_p50_ms": round(p50, 2), "latency_p99_ms": round(p99, 2), "target_p99_ms": 50.0,
            "transport_p50_ms": round(t50, 2), "transport_p99_ms": round(t99, 2),
            "detections_timed": len(sent), "detections_not_seen": len(sent) - len(latencies), "object_lists": len(received),
            "objects": OBJECTS, "input_rate_hz": RATE_HZ, "objects_trigger": trigger,
            "objects_rate_hz": objects_rate_hz if trigger == "timer" else None, "reorder_window_s": 0.0,
            "layout": layout, "path": PATHS[layout]}


def measure_layouts(duration_s: float, objects_rate_hz: float, trigger: str, layouts: list[str], work: Path) -> dict[str, Any]:
    """The first layout's figures, and each other layout's latencies prefixed with its name."""
    figures: dict[str, Any] = {}
    for layout in layouts:
        run = measure(duration_s, objects_rate_hz, trigger, layout, work)
        if not figures:
            figures = run
        else:
            figures.update({f"{layout}_{key}": run[key] for key in ("latency_p50_ms", "latency_p99_ms", "detections_not_seen", "path")})
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fusion.ros.graph_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", required=True, help="write the figures here")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of detections at 20 Hz")
    parser.add_argument("--trigger", choices=["input", "timer"], default="input",
                        help="the tracker's objects_trigger: after each input, or at --objects-rate")
    parser.add_argument("--objects-rate", type=float, default=OBJECTS_RATE_HZ, help="the tracker's object list rate [Hz] (timer)")
    parser.add_argument("--layout", choices=["composed", "separate", "both"], default="both",
                        help="front-end and tracker in one process (launch compose:=true), in two, or both in turn (composed first)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="taishan-graph-bench-") as tmp:
        layouts = ["composed", "separate"] if args.layout == "both" else [args.layout]
        figures = measure_layouts(args.duration, args.objects_rate, args.trigger, layouts, Path(tmp))
    Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
