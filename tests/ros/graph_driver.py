"""Drives the launched Taishan graph with a simulated scenario; runs INSIDE .venv-ros, in the private
network namespace (started by test_graph.py):

    tools/netns_run.sh .venv-ros/bin/python tests/ros/graph_driver.py WORK_DIR

1. simulates a short scenario (datasets.simulation) with the shipped vehicle;
2. launches launch/taishan.launch.yaml with `taishan launch` (use_sim_time, object-level lidar input,
   the ego estimator anchored at the scenario's origin and heading);
3. waits until every input has a subscriber and every output a publisher;
4. publishes the scenario's measurements, converted with fusion.messages, at their arrival times
   with /clock, and halfway through one malformed message to each node;
5. stops the graph with SIGINT, replays the same scenario offline through the same node cores
   (datasets.bags.replay) for reference, and prints one JSON line of findings for the test to judge.

Not collected by pytest (no test_ prefix): it imports rclpy, which only .venv-ros has.
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import rclpy
import yaml

from datasets.bags.replay import replay_bag
from datasets.bags.simulation import MeasurementEncoder   # the bag writer's measurement -> messages mapping
from datasets.bags.simulation import write_scenario_bag
from datasets.simulation.config import load_scenario_config
from datasets.simulation.scenario import Scenario, simulate_scenario
from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.time import NS_PER_S
from fusion.ego.config import EgoConfig
from fusion.graph import topics
from fusion.graph.build import GraphConfigs
from fusion.graph.config import GraphConfig
from fusion.messages import detection3d, tf
from fusion.messages.diagnostics import to_report
from fusion.messages.odometry import to_odometry
from fusion.messages.tracked_objects import to_object_list
from fusion.ros.graph_client import GraphClient, LaunchedGraph
from fusion.ros.message_types import ros_message, ros_type, ros_type_name
from fusion.ros.qos import output_qos

DURATION_S = 4.0          # the ego estimator is initialised after 1 s (configured heading), tracks follow
RATE = 1.0                # real time
MALFORMED_AT_S = 2.0
MATCH_DISTANCE_M = 2.5
SETTLE_S = 2.5            # after the last message: last object lists and a diagnostics round

# The graph's inputs in this run (the simulator also writes radar point clouds, which it does not read).
INPUTS = ("detections", "camera_info", "scan", "imu", "fix", "twist")


def write_params(path: Path, params: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump({"/**": {"ros__parameters": params}}))
    return path


def configs(work: Path, scenario: Scenario) -> dict[str, str]:
    """Launch arguments: the shipped configs with the lidar read as boxes (the simulator makes no
    point clouds here) and the ego estimator started at the scenario's known origin and heading."""
    graph = yaml.safe_load((config_dir() / "graph.yaml").read_text())["/**"]["ros__parameters"]
    graph["lidar_input"] = "detections"
    ego = yaml.safe_load((config_dir() / "ego.yaml").read_text())["/**"]["ros__parameters"]
    origin = scenario.config.origin
    ego.setdefault("origin", {}).update(source="configured", latitude_deg=origin.latitude_deg,
                                        longitude_deg=origin.longitude_deg, altitude_m=origin.altitude_m)
    ego.setdefault("init", {}).update(heading_source="configured", heading_deg=0.0)   # the drive starts eastwards
    return {"use_sim_time": "true", "graph_config": str(write_params(work / "graph.yaml", graph)),
            "ego_config": str(write_params(work / "ego.yaml", ego))}


def malformed(vehicle: VehicleConfig, stamp_ns: int) -> list[tuple[str, str, Any, str]]:
    """(topic, msgtype, message, node) for one broken message per node."""
    T = ros_message
    lidar, camera = vehicle.sensors_of_kind("lidar"), vehicle.sensors_of_kind("camera")
    (lidar_name, lidar_cfg), (camera_name, camera_cfg) = next(iter(lidar.items())), next(iter(camera.items()))
    radar_name = next(iter(vehicle.sensors_of_kind("radar")))
    boxes = detection3d.encode(T, stamp_ns, lidar_cfg.frame_id, np.array([[10.0, 0.0, 0.0]]), np.array([[4.0, 2.0, 1.5]]),
                               np.zeros(1), np.array([1]), np.array([0.9]))
    boxes.detections[0].bbox.center.orientation.w = 0.0                     # zero quaternion
    detections2d = T("vision_msgs/msg/Detection2DArray")()
    detections2d.header.frame_id, detections2d.header.stamp = camera_cfg.frame_id, T("builtin_interfaces/msg/Time")(
        sec=stamp_ns // NS_PER_S, nanosec=stamp_ns % NS_PER_S)
    box = T("vision_msgs/msg/Detection2D")()
    box.bbox.center.position.x, box.bbox.size_x, box.bbox.size_y = math.nan, 10.0, 10.0   # NaN centre
    detections2d.detections = [box]
    scan = T("radar_msgs/msg/RadarScan")()
    scan.header.stamp = detections2d.header.stamp                          # empty frame_id
    imu = T("sensor_msgs/msg/Imu")()
    imu.header.stamp, imu.header.frame_id = detections2d.header.stamp, vehicle.sensors["imu"].frame_id
    imu.angular_velocity.x = math.inf                                      # non-finite rate
    elsewhere = detection3d.encode(T, stamp_ns, "nowhere", np.array([[10.0, 0.0, 0.0]]), np.array([[4.0, 2.0, 1.5]]),
                                   np.zeros(1), np.array([1]), np.array([0.9]))   # a frame no sensor has
    return [(topics.sensor_topic(lidar_name, "detections"), "vision_msgs/msg/Detection3DArray", boxes, "lidar_frontend"),
            (topics.sensor_topic(camera_name, "detections"), "vision_msgs/msg/Detection2DArray", detections2d, "camera_frontend"),
            (topics.sensor_topic(radar_name, "scan"), "radar_msgs/msg/RadarScan", scan, "radar_frontend"),
            (topics.sensor_topic("imu", "imu"), "sensor_msgs/msg/Imu", imu, "ego_estimator"),
            (topics.frontend_topic(lidar_name), "vision_msgs/msg/Detection3DArray", elsewhere, "tracker")]


def input_messages(scenario: Scenario) -> list[tuple[int, str, str, Any]]:
    """(arrival ns, topic, msgtype, message) of every measurement the graph reads, in arrival order."""
    encode = MeasurementEncoder(scenario, ros_type)
    out = []
    for event in sorted(scenario.events, key=lambda e: e.sort_key()):
        for topic, msg in encode(event.measurement):
            if topic.rsplit("/", 1)[1] in INPUTS:
                out.append((event.arrival_ns, topic, ros_type_name(msg), msg))
    return out


def score_objects(scenario: Scenario, lists: list[Any], since_ns: int) -> dict[str, float]:
    """Object lists against the truth frame nearest in stamp: recall of visible road users, precision
    of tracks (near any road user), and the share of matched tracks with the right class."""
    truth_stamps = np.array([f.stamp_ns for f in scenario.truth])
    recalls, precisions, right_class, n_lists = [], [], [], 0
    for objects in lists:
        if objects.stamp_ns < since_ns:
            continue
        frame = scenario.truth[int(np.argmin(np.abs(truth_stamps - objects.stamp_ns)))]
        if abs(frame.stamp_ns - objects.stamp_ns) > NS_PER_S // 10 or not len(objects):
            continue
        n_lists += 1
        d = np.linalg.norm(objects.position[:, None, :2] - frame.centers[None, :, :2], axis=2)   # tracks x truth
        nearest = d.argmin(axis=1)
        matched = d[np.arange(len(objects)), nearest] <= MATCH_DISTANCE_M
        precisions.append(float(matched.mean()))
        if frame.visible.any():
            recalls.append(float((d[:, frame.visible].min(axis=0) <= MATCH_DISTANCE_M).mean()))
        right_class += (objects.classes[matched] == frame.classes[nearest[matched]]).tolist()
    return {"scored_lists": n_lists, "recall": float(np.mean(recalls)) if recalls else 0.0,
            "precision": float(np.mean(precisions)) if precisions else 0.0,
            "class_accuracy": float(np.mean(right_class)) if right_class else 0.0}


def odometry_error(scenario: Scenario, odometry: list[Any]) -> float:
    """Largest horizontal distance between the estimated and the true ego position [m]."""
    errors = [np.linalg.norm(o.position[:2] - scenario.ego.pose_at(o.stamp_ns).translation[:2]) for o in odometry]
    return float(max(errors)) if errors else math.inf


def diagnostics_findings(reports: list[Any]) -> dict[str, dict[str, Any]]:
    """Per status name, the latest status: level, message and the input counters and reasons."""
    latest: dict[str, Any] = {}
    for report in reports:
        for status in report.statuses:
            latest[status.name] = status
    return {name: {"level": s.level.name, "message": s.message, "values": s.values} for name, s in latest.items()}


def main(work: Path) -> dict[str, Any]:
    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    scenario = simulate_scenario(load_scenario_config().model_copy(update={"duration_s": DURATION_S}), vehicle)
    messages = input_messages(scenario)
    start_ns = messages[0][0]
    bad_at_ns = start_ns + int(MALFORMED_AT_S * NS_PER_S)
    bad = malformed(vehicle, bad_at_ns)

    findings: dict[str, Any] = {"published": 0, "malformed": [(t, node) for t, _, _, node in bad]}
    rclpy.init()
    arguments = configs(work, scenario)
    graph = LaunchedGraph(arguments)
    client = GraphClient()
    try:
        for _, topic, msgtype, _ in messages + [(0, *b[:3]) for b in bad]:
            client.publisher(topic, msgtype)
        client.publisher(topics.TF_STATIC, "tf2_msgs/msg/TFMessage", output_qos(latched=True))
        outputs = {topics.EGO_ODOMETRY: "nav_msgs/msg/Odometry", topics.OBJECTS: "autoware_perception_msgs/msg/TrackedObjects",
                   topics.DIAGNOSTICS: "diagnostic_msgs/msg/DiagnosticArray"}
        outputs.update({topics.frontend_topic(name): ("radar_msgs/msg/RadarScan" if s.kind == "radar" else
                                                      "vision_msgs/msg/Detection2DArray" if s.kind == "camera" else
                                                      "vision_msgs/msg/Detection3DArray")
                        for name, s in vehicle.sensors.items() if s.enabled and s.kind in ("camera", "radar", "lidar")})
        for topic, msgtype in outputs.items():
            client.subscribe(topic, msgtype)
        t0 = time.monotonic()
        client.wait_matched(60.0, graph, clock=True)
        findings["matched_after_s"] = round(time.monotonic() - t0, 2)

        clock = client.start_clock(start_ns, RATE)   # /clock at 100 Hz of scenario time, everything at its arrival
        client.publish(topics.TF_STATIC, tf.from_transforms(ros_message, tf.vehicle_extrinsics(vehicle, start_ns)))
        bad_sent = False
        for arrival_ns, topic, _, msg in messages:
            clock.advance_to(arrival_ns)
            if not bad_sent and arrival_ns >= bad_at_ns:
                for b_topic, _, b_msg, _ in bad:
                    client.publish(b_topic, b_msg)
                bad_sent = True
            client.publish(topic, msg)
            findings["published"] += 1
        clock.advance_to(clock.now_ns + int(SETTLE_S * NS_PER_S))   # the clock runs on: last ticks and diagnostics
        findings["graph_alive_before_stop"] = graph.alive()
    finally:
        client.close()
        rclpy.shutdown()
        code, log = graph.stop()
    findings["graph_exit_code"] = code
    findings["graph_log_tail"] = log[-6000:]
    findings["traceback_in_log"] = "Traceback" in log

    got = {topic: [m for _, m in client.received.get(topic, [])] for topic in client.received}
    odometry = [to_odometry(m) for m in got.get(topics.EGO_ODOMETRY, [])]
    objects = [to_object_list(m) for m in got.get(topics.OBJECTS, [])]
    findings["odometry"] = {"count": len(odometry), "after_malformed": sum(o.stamp_ns > bad_at_ns for o in odometry),
                            "max_error_m": odometry_error(scenario, odometry)}
    findings["objects"] = {"lists": len(objects), "after_malformed": sum(o.stamp_ns > bad_at_ns for o in objects),
                           "max_objects": max((len(o) for o in objects), default=0),
                           **score_objects(scenario, objects, start_ns + NS_PER_S * 3 // 2)}
    findings["frontends_after_malformed"] = {
        topic: sum(1 for m in msgs if m.header.stamp.sec * NS_PER_S + m.header.stamp.nanosec > bad_at_ns)
        for topic, msgs in got.items() if topic.endswith("/detections") and topic.startswith("/taishan/")}
    findings["diagnostics"] = diagnostics_findings([to_report(m) for m in got.get(topics.DIAGNOSTICS, [])])
    findings["replay_objects"] = replay_reference(work, scenario, arguments, start_ns + NS_PER_S * 3 // 2)
    return findings


def replay_reference(work: Path, scenario: Scenario, arguments: dict[str, str], since_ns: int) -> dict[str, float]:
    """The same scenario through the replay runtime (same node cores, same configs), scored alike."""
    bag = work / "scenario.mcap"
    write_scenario_bag(scenario, bag, overwrite=True)
    graph_configs = GraphConfigs.load()
    graph_configs.graph = load_config(arguments["graph_config"], GraphConfig)
    graph_configs.ego = load_config(arguments["ego_config"], EgoConfig)
    return score_objects(scenario, replay_bag(bag, graph_configs).object_lists, since_ns)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} WORK_DIR")
    result = main(Path(sys.argv[1]))
    print("FINDINGS " + json.dumps(result, default=float))
