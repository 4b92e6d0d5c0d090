"""Real rclpy (tests/ros/wire_checks.py in .venv-ros, inside the private network namespace): the
diagnostics level is a byte rclpy accepts, the live nodes take rosbags' codec for the graph's message
types, what either side serializes the other reads back unchanged, and the cores of one node hand
their outputs to each other in-process."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fusion.ros.environment import NETNS_UNAVAILABLE, ros_command, ros_environment, ros_python_problem

CHECKS = Path(__file__).with_name("wire_checks.py")

pytestmark = pytest.mark.skipif(ros_python_problem() is not None, reason=ros_python_problem() or "")


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("wire")
    proc = subprocess.run(ros_command([str(CHECKS)], netns=True), env=ros_environment(work), capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2])
    if proc.returncode == NETNS_UNAVAILABLE:
        pytest.skip(f"no private network namespace here, so no rclpy node can start: {proc.stderr.strip()}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("FINDINGS ")]
    assert proc.returncode == 0 and lines, f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return json.loads(lines[-1][len("FINDINGS "):])


def test_diagnostic_levels_are_bytes_in_rclpy_messages_and_read_back_by_both(findings: dict) -> None:
    d = findings["diagnostics"]
    assert d["level_types"] == ["bytes"]
    assert d["read_by_rclpy"] == d["sent"] == d["read_by_rosbags"] == [0, 1, 2, 3]


def test_the_graph_types_go_through_rosbags_codec_where_the_installed_types_match(findings: dict) -> None:
    for msgtype, kinds in findings["codecs"].items():
        assert kinds == {"publisher": "rosbags", "subscription": "rosbags"}, (msgtype, kinds)


def test_rclpy_and_rosbags_read_each_others_bytes(findings: dict) -> None:
    interop = dict(findings["interop"])
    assert interop.pop("objects") == 3 and len(interop) == 4
    for direction, difference in interop.items():
        assert difference < 1e-5, (direction, difference)


def test_composed_cores_hand_detections_to_the_tracker_in_process(findings: dict) -> None:
    c = findings["composition"]
    assert c["cores"] == ["lidar_lidar_top", "tracker"]
    assert "/sensors/lidar_top/detections" in c["subscribed"] and "/taishan/lidar_top/detections" not in c["subscribed"]
    assert c["tracker_accepted"] == 1 and c["object_lists"] == 1     # objects_trigger input: one list per measurement
