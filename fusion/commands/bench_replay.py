"""`taishan bench replay`: replay speed as a multiple of real time, on one CPU core, for a simulated
60 s drive recorded by five kinds of sensor (camera, three radars, lidar with point clouds, IMU,
GNSS) as an .mcap bag.

- realtime_factor_full: the whole graph, the lidar front-end detecting objects in every sweep;
- realtime_factor_objects: object-level inputs only (the lidar's Detection3DArray boxes instead of
  its point clouds; camera detections, radar scans, IMU and GNSS as before);
- realtime_factor_read_decode: the baseline measured in the same run, reading and decoding the
  messages the full graph uses without running any node: the floor that bag I/O sets.
Targets: >= 2x real time for the full graph, >= 20x with object-level inputs.
Wall time also counts whatever else ran on the core; cpu_realtime_factor_* divide by the replay's
own CPU time instead: what the replay reaches with the core to itself (the figure to compare
across runs on a shared machine).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_FULL = 2.0
TARGET_OBJECTS = 20.0


def _read_decode_seconds(bag: Path, topics: set[str]) -> float:
    from datasets.bags.reader import BagReader

    began = time.perf_counter()
    with BagReader(bag) as reader:
        for raw in reader.messages(topics):
            reader.decode(raw)
    return time.perf_counter() - began


def run(args: argparse.Namespace) -> dict[str, Any]:
    from datasets.bags.replay import replay_bag
    from datasets.bags.simulation import write_scenario_bag
    from datasets.simulation.config import ScenarioConfig, load_scenario_config
    from datasets.simulation.scenario import simulate_scenario
    from fusion.commands.bench_lidar import one_core
    from fusion.config.loader import parse_config
    from fusion.graph.build import GraphConfigs, build_pipeline

    duration = 10.0 if args.quick else 60.0
    base = load_scenario_config()
    scenario_config = parse_config({**base.model_dump(), "duration_s": duration, "lidar_points": True}, ScenarioConfig,
                                   "bench replay scenario")
    configs = GraphConfigs.load()
    figures: dict[str, Any] = {"bag_duration_s": duration}
    with tempfile.TemporaryDirectory(prefix="taishan-bench-replay-") as tmp:
        bag = Path(tmp) / "drive.mcap"
        counts = write_scenario_bag(simulate_scenario(scenario_config, configs.vehicle, progress=True), bag, progress=True)
        figures["bag_messages"] = sum(counts.values())
        figures["bag_mb"] = round(bag.stat().st_size / 1e6, 1)
        with one_core() as pinned:
            figures["pinned_to_one_core"] = pinned
            for name, lidar_input in (("full", "points"), ("objects", "detections")):
                configs.graph.lidar_input = lidar_input
                result = replay_bag(bag, configs)
                figures[f"realtime_factor_{name}"] = round(result.realtime_factor, 2)
                figures[f"cpu_realtime_factor_{name}"] = round(result.cpu_realtime_factor, 2)
                figures[f"wall_{name}_s"] = round(result.wall_s, 2)
                figures[f"messages_{name}"] = result.messages_used
                figures[f"object_lists_{name}"] = len(result.object_lists)
            configs.graph.lidar_input = "points"
            used = build_pipeline(configs, set(counts)).input_topics
            figures["realtime_factor_read_decode"] = round(duration / _read_decode_seconds(bag, used), 2)
    figures["target_full"] = TARGET_FULL
    figures["target_objects"] = TARGET_OBJECTS
    figures["meets_targets"] = (figures["realtime_factor_full"] >= TARGET_FULL
                                and figures["realtime_factor_objects"] >= TARGET_OBJECTS)
    return figures


def register(groups) -> None:
    groups.add_benchmark("replay", "bag replay speed (x real time) of the full graph and with object-level inputs", run)
