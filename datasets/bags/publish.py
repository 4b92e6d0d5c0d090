"""`taishan replay BAG --publish [--rate R]`: play a bag into a live ROS 2 graph, like `ros2 bag
play --clock`: every message is published at its log time (scaled by the rate) as the recorded
serialized bytes, with the QoS the recording offered (datasets.bags.qos), and /clock carries the
bag's time so that nodes started with use_sim_time run on it.

rclpy lives in its own virtual environment (.venv-ros, see tools/bootstrap_ros.sh); started from
the main one, the command re-runs this module there.
"""
from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from datasets.bags.qos import offered_qos
from datasets.bags.reader import BagReader
from fusion.core.errors import TaishanError
from fusion.core.time import NS_PER_S, ns_to_ros_time
from fusion.graph.topics import CLOCK

CLOCK_PERIOD_NS = NS_PER_S // 100   # /clock at 100 Hz of bag time between messages
VENV_ROS_PYTHON = Path(__file__).resolve().parents[2] / ".venv-ros" / "bin" / "python"


def publish_command(bag: Path, rate: float, wait_s: float = 0.0) -> int:
    """Run the player here when rclpy is importable, else in .venv-ros."""
    if rate <= 0:
        raise TaishanError(f"--rate must be positive, got {rate}")
    try:
        import rclpy  # noqa: F401
    except ImportError:
        if not VENV_ROS_PYTHON.exists():
            raise TaishanError(f"--publish needs rclpy; run tools/bootstrap_ros.sh to build {VENV_ROS_PYTHON.parent.parent}") from None
        env = {k: v for k, v in os.environ.items() if k != "_ROS_WHEELS_BOOTSTRAP_COMPLETE"}
        return subprocess.call([str(VENV_ROS_PYTHON), "-m", "datasets.bags.publish", str(bag), "--rate", str(rate),
                                "--wait", str(wait_s)], env=env, cwd=Path(__file__).resolve().parents[2])
    return publish_bag(bag, rate, wait_s)


def _message_class(msgtype: str) -> Any:
    pkg, _, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{pkg}.msg"), name)


def _qos(topic: str, msgtype: str) -> Any:
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

    q = offered_qos(topic, msgtype)
    return QoSProfile(history=HistoryPolicy(q.history.value), depth=q.depth,
                      reliability=ReliabilityPolicy(q.reliability.value), durability=DurabilityPolicy(q.durability.value))


def publish_bag(path: Path, rate: float = 1.0, wait_s: float = 0.0) -> int:
    """Publish every message of the bag in log-time order; returns 0, or 1 when the bag was damaged
    (what was readable has been published). wait_s: wait up to this long for a /clock subscriber."""
    import rclpy
    from rosgraph_msgs.msg import Clock

    rclpy.init()
    node = rclpy.create_node("taishan_bag_player")
    clock = node.create_publisher(Clock, CLOCK, 10)
    publishers: dict[str, Any] = {}
    log = node.get_logger()
    deadline = time.monotonic() + wait_s
    while clock.get_subscription_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)

    def tick(stamp_ns: int) -> None:
        sec, nanosec = ns_to_ros_time(stamp_ns)
        msg = Clock()
        msg.clock.sec, msg.clock.nanosec = sec, nanosec
        clock.publish(msg)

    with BagReader(path) as bag:
        for notice in bag.notices:
            log.info(notice)
        start_wall, first_ns, last_clock = time.monotonic(), None, None
        for raw in bag.messages():
            if raw.topic not in publishers:
                try:
                    publishers[raw.topic] = node.create_publisher(_message_class(raw.msgtype), raw.topic, _qos(raw.topic, raw.msgtype))
                except (ImportError, AttributeError):
                    log.warn(f"skipping topic {raw.topic!r}: message type {raw.msgtype} is not installed")
                    publishers[raw.topic] = None
            if publishers[raw.topic] is None:
                continue
            first_ns = raw.log_ns if first_ns is None else first_ns
            last_clock = raw.log_ns if last_clock is None else last_clock
            while True:   # wait for the message's time, keeping /clock going meanwhile
                due = start_wall + (raw.log_ns - first_ns) / NS_PER_S / rate
                next_clock = min(last_clock + CLOCK_PERIOD_NS, raw.log_ns)
                clock_due = start_wall + (next_clock - first_ns) / NS_PER_S / rate
                time.sleep(max(0.0, min(due, clock_due) - time.monotonic()))
                if next_clock >= raw.log_ns:
                    break
                tick(next_clock)
                last_clock = next_clock
            tick(raw.log_ns)
            last_clock = raw.log_ns
            publishers[raw.topic].publish(raw.data)   # the recorded CDR bytes, as ros2 bag play does
        for problem in bag.problems:
            log.error(problem)
        damaged = bool(bag.problems)
    node.destroy_node()
    rclpy.shutdown()
    return 1 if damaged else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datasets.bags.publish", description=__doc__)
    parser.add_argument("bag", type=Path)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--wait", type=float, default=0.0, help="wait up to S seconds for a /clock subscriber first")
    args = parser.parse_args(argv)
    try:
        return publish_bag(args.bag, args.rate, args.wait)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
