"""Drives the learned lidar stage live; runs INSIDE .venv-ros, in the private network namespace
(started by test_graph.py):

    tools/netns_run.sh .venv-ros/bin/python tests/ros/learned_driver.py WORK_DIR

1. saves a small BEV detector checkpoint and a graph config with `lidar_detector: learned`. The
   weights are the seeded initial ones (object probability near 1 %, hence the low score threshold):
   what is checked is that the live node loads the checkpoint its config names and runs it like the
   offline core; how good a trained model is, is `taishan eval bev`'s job;
2. launches only the lidar front-end from launch/taishan.launch.yaml (use_sim_time);
3. publishes a simulated drive's lidar sweeps and radar scans at their arrival times with /clock;
4. feeds the same messages, in the same order, to the node core built offline from the same
   configs (fusion.graph.build.build_node), and prints one JSON line comparing the two outputs.

Not collected by pytest (no test_ prefix): it imports rclpy, which only .venv-ros has.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import rclpy
import torch
import yaml

from datasets.bags.simulation import MeasurementEncoder
from datasets.simulation.config import load_scenario_config
from datasets.simulation.scenario import simulate_scenario
from fusion.config.loader import config_dir, load_config, parse_config
from fusion.core.measurements import Boxes3D
from fusion.graph import topics
from fusion.graph.build import GraphConfigs, build_node
from fusion.graph.config import GraphConfig
from fusion.learned.bev.config import KIND, BevDetectorConfig
from fusion.learned.bev.model import build_bev_model
from fusion.learned.checkpoint import save_checkpoint
from fusion.messages.detection3d import to_boxes3d
from fusion.ros.graph_client import GraphClient, LaunchedGraph
from fusion.ros.message_types import ros_type, ros_type_name

DURATION_S = 3.0
SETTLE_S = 2.0
BEV = {"model": {"channels": [8, 16, 16], "head_channels": 8}, "decode": {"score_threshold": 0.005, "max_detections": 20}}


def write_params(path: Path, params: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump({"/**": {"ros__parameters": params}}))
    return path


def learned_configs(work: Path) -> Path:
    """The BEV config (its checkpoint beside it) and a graph config choosing it; returns the latter."""
    config = parse_config(BEV, BevDetectorConfig, "learned_driver")
    torch.manual_seed(0)
    save_checkpoint(work / "bev.safetensors", build_bev_model(config), KIND, config)
    bev = write_params(work / "bev_detector.yaml", {**BEV, "checkpoint": "bev.safetensors"})
    graph = yaml.safe_load((config_dir() / "graph.yaml").read_text())["/**"]["ros__parameters"]
    graph.update(lidar_input="points", lidar_detector="learned", bev_config=str(bev))
    return write_params(work / "graph.yaml", graph)


def boxes_by_stamp(batches: list[Boxes3D]) -> dict[int, np.ndarray]:
    """stamp -> boxes as rows of (centre, size, yaw, class, score)."""
    return {b.stamp_ns: np.column_stack([b.centers, b.sizes, b.yaws, b.classes, b.scores]) for b in batches}


def main(work: Path) -> dict[str, Any]:
    graph_path = learned_configs(work)
    configs = GraphConfigs.load()
    configs.graph = load_config(graph_path, GraphConfig)
    lidar = next(iter(configs.vehicle.sensors_of_kind("lidar")))
    scenario = simulate_scenario(load_scenario_config().model_copy(update={"duration_s": DURATION_S, "lidar_points": True}),
                                 configs.vehicle)
    wanted = {topics.sensor_topic(lidar, "points")} | {topics.sensor_topic(r, "scan") for r in configs.vehicle.sensors_of_kind("radar")}
    encode = MeasurementEncoder(scenario, ros_type)
    messages = [(e.arrival_ns, topic, msg) for e in sorted(scenario.events, key=lambda e: e.sort_key())
                for topic, msg in encode(e.measurement) if topic in wanted]
    sweeps = sum(topic.endswith("/points") for _, topic, _ in messages)

    rclpy.init()
    graph = LaunchedGraph({"use_sim_time": "true", "graph_config": str(graph_path), "camera": "false", "radar": "false",
                           "ego": "false", "tracker": "false"})
    client = GraphClient()
    output = topics.frontend_topic(lidar)
    try:
        for _, topic, msg in messages:
            client.publisher(topic, ros_type_name(msg))
        client.subscribe(output, "vision_msgs/msg/Detection3DArray")
        client.wait_matched(90.0, graph, clock=True)
        clock = client.start_clock(messages[0][0])
        for arrival_ns, topic, msg in messages:
            clock.advance_to(arrival_ns)
            client.publish(topic, msg)
        client.spin_for(SETTLE_S)
        alive = graph.alive()
    finally:
        client.close()
        rclpy.shutdown()
        code, log = graph.stop()
    live = boxes_by_stamp([to_boxes3d(m, lidar, output)[0] for _, m in client.received.get(output, [])])

    core = build_node("lidar", configs, sensor_id=lidar)
    offline = boxes_by_stamp([out.data for arrival_ns, topic, msg in messages
                              for out in core.receive(topic, msg, ros_type_name(msg), arrival_ns)])
    same = [s for s in live if s in offline and live[s].shape == offline[s].shape
            and np.allclose(live[s], offline[s], atol=1e-4)]
    return {"sweeps": sweeps, "live": len(live), "offline": len(offline), "same": len(same),
            "live_boxes": int(sum(len(b) for b in live.values())), "core": type(core).__name__,
            "alive_before_stop": alive, "exit_code": code, "traceback_in_log": "Traceback" in log, "log_tail": log[-4000:]}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} WORK_DIR")
    print("FINDINGS " + json.dumps(main(Path(sys.argv[1])), default=float))
