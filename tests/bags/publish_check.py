"""Runs INSIDE .venv-ros, in a loopback-only network namespace (started by test_publish.py):

    tools/netns_run.sh .venv-ros/bin/python tests/bags/publish_check.py BAG EXPECTED_IMU

A listener node with use_sim_time subscribes to /clock and the bag's IMU topic, then starts the
player (`python -m datasets.bags.publish BAG --rate 4 --wait 10`) and spins until it exits.
Prints a JSON report; exit status 0 when the IMU messages arrived and the node's clock followed
the bag's time.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import rclpy
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Imu

REPO = Path(__file__).resolve().parents[2]


def main(bag: str, expected_imu: int) -> int:
    rclpy.init()
    node = rclpy.create_node("publish_check", parameter_overrides=[Parameter("use_sim_time", Parameter.Type.BOOL, True)])
    clocks: list[int] = []
    imu_stamps: list[int] = []
    # Best effort like the player's sensor topics, with a queue deep enough for a busy test machine.
    deep = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=2000, reliability=ReliabilityPolicy.BEST_EFFORT)
    node.create_subscription(Clock, "/clock", lambda m: clocks.append(m.clock.sec * 10**9 + m.clock.nanosec), deep)
    node.create_subscription(Imu, "/sensors/imu/imu", lambda m: imu_stamps.append(m.header.stamp.sec * 10**9 + m.header.stamp.nanosec),
                             deep)
    player = subprocess.Popen([sys.executable, "-m", "datasets.bags.publish", bag, "--rate", "4", "--wait", "10"], cwd=REPO)
    deadline = time.monotonic() + 120
    while player.poll() is None and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.01)
    for _ in range(50):   # what is still in flight
        rclpy.spin_once(node, timeout_sec=0.05)
    sim_now = node.get_clock().now().nanoseconds
    report = {"player_exit": player.returncode, "clocks": len(clocks), "imu": len(imu_stamps), "expected_imu": expected_imu,
              "clock_monotonic": clocks == sorted(clocks), "sim_now": sim_now, "last_clock": clocks[-1] if clocks else None,
              "first_imu": imu_stamps[0] if imu_stamps else None}
    print(json.dumps(report))
    node.destroy_node()
    rclpy.shutdown()
    ok = (player.returncode == 0 and len(imu_stamps) >= 0.9 * expected_imu and clocks and report["clock_monotonic"]
          and sim_now == clocks[-1])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
