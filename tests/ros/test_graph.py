"""The live ROS 2 graph with real rclpy: launched from launch/taishan.launch.yaml by `taishan launch`,
fed a simulated scenario, checked for odometry, the object list, diagnostics of malformed input and a
clean SIGINT shutdown. Everything ROS runs in .venv-ros (tests/ros/graph_driver.py), inside a private
loopback-only network namespace (tools/netns_run.sh); where that cannot be made, the tests skip.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from fusion.ros.environment import NETNS_UNAVAILABLE, ros_command, ros_environment, ros_python_problem

DRIVER = Path(__file__).with_name("graph_driver.py")
LEARNED_DRIVER = Path(__file__).with_name("learned_driver.py")
NODES = ("camera_frontend", "radar_frontend", "lidar_frontend", "ego_estimator", "tracker")

pytestmark = pytest.mark.skipif(ros_python_problem() is not None, reason=ros_python_problem() or "")


def run_in_namespace(args: list[str], tmp_path: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(ros_command(args, netns=True), env=ros_environment(tmp_path), capture_output=True, text=True,
                          timeout=timeout, cwd=Path(__file__).resolve().parents[2])
    if proc.returncode == NETNS_UNAVAILABLE:
        pytest.skip(f"no private network namespace here, so no DDS traffic is sent: {proc.stderr.strip()}")
    return proc


def driver_findings(driver: Path, work: Path, timeout: float) -> dict:
    proc = run_in_namespace([str(driver), str(work)], work, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("FINDINGS ")]
    assert proc.returncode == 0 and lines, f"driver failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return json.loads(lines[-1][len("FINDINGS "):])


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return driver_findings(DRIVER, tmp_path_factory.mktemp("graph"), timeout=150)


def test_graph_launches_from_yaml_and_stops_cleanly_on_sigint(findings: dict) -> None:
    log = findings["graph_log_tail"]
    assert findings["graph_alive_before_stop"], log
    assert findings["graph_exit_code"] == 0, log
    for node in NODES:
        assert re.search(rf"process has finished cleanly \[pid \d+\]: {node}-1", log), log
    assert not findings["traceback_in_log"], log


def test_ego_odometry_arrives_and_follows_the_true_drive(findings: dict) -> None:
    odometry = findings["odometry"]
    assert odometry["count"] >= 100, odometry          # 100 Hz IMU for about 3 s once initialised
    assert odometry["max_error_m"] < 3.0, odometry     # GNSS noise is 1.5 m per axis


def test_object_list_holds_the_simulated_road_users_like_a_replay(findings: dict) -> None:
    live, replay = findings["objects"], findings["replay_objects"]
    assert live["lists"] >= 20 and live["max_objects"] >= 5, live
    assert live["scored_lists"] >= 10, live
    assert live["precision"] >= 0.8, live              # tracks are where road users are
    assert live["class_accuracy"] >= 0.9, live
    # The live graph runs the replay's node cores; it may drop data under load, not invent it.
    assert live["recall"] >= 0.6 * replay["recall"] and live["recall"] > 0.1, (live, replay)
    assert live["precision"] >= replay["precision"] - 0.15, (live, replay)


def test_each_node_reports_malformed_messages_in_diagnostics_and_keeps_running(findings: dict) -> None:
    statuses = findings["diagnostics"]
    for topic, node in findings["malformed"]:
        mine = {name: s for name, s in statuses.items() if name.startswith(f"{node}: ")}
        rejected = {name: s["values"].get(f"{topic} last reason") for name, s in mine.items()
                    if int(s["values"].get(f"{topic} rejected", "0")) >= 1}
        assert rejected and all(rejected.values()), f"{node} did not report the malformed message on {topic}: {mine}"
        assert all(mine[name]["level"] in ("WARN", "ERROR") for name in rejected), mine
    assert findings["odometry"]["after_malformed"] > 0 and findings["objects"]["after_malformed"] > 0, findings
    assert all(count > 0 for count in findings["frontends_after_malformed"].values()), findings["frontends_after_malformed"]
    assert len(findings["frontends_after_malformed"]) == 5, findings["frontends_after_malformed"]


def test_invalid_parameters_stop_a_node_with_every_problem_named(tmp_path: Path) -> None:
    proc = run_in_namespace(["-m", "fusion.ros.tracker_node", "--ros-args", "-p", "motion.accel_psd:=-1.0",
                             "-p", "management.confirm_hits:=2.5", "-p", "motion.modle:=cv"], tmp_path, timeout=60)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    err = proc.stderr
    assert "motion.accel_psd: out of range [0, inf] (got -1.0)" in err, err
    assert "management.confirm_hits: expected an integer (got 2.5)" in err, err
    assert "motion.modle: unknown parameter" in err, err
    assert "Traceback" not in err, err


def test_learned_lidar_stage_runs_live_like_its_offline_core(tmp_path: Path) -> None:
    """graph.yaml's `lidar_detector: learned`: the launched lidar node loads the checkpoint its BEV
    config names and publishes, for the sweeps it receives, the boxes the offline core computes."""
    found = driver_findings(LEARNED_DRIVER, tmp_path, timeout=150)
    log = found["log_tail"]
    assert found["core"] == "BevDetectorNode", found
    assert found["alive_before_stop"] and found["exit_code"] == 0 and not found["traceback_in_log"], log
    assert found["offline"] == found["sweeps"] >= 25, found        # 10 Hz lidar for 3 s
    assert found["live"] >= 0.9 * found["sweeps"], found           # sensor-data QoS may drop a sweep under load
    assert found["live_boxes"] > 0, found
    # a radar scan handled after a sweep instead of before it changes that sweep's raster
    assert found["same"] >= 0.8 * found["live"], found
