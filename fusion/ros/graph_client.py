"""Drive a launched Taishan graph from outside, as a sensor driver and a consumer would: start it
with `taishan launch`, publish into it, collect what it publishes, and stop it. Used by
`taishan bench graph` and the ROS tests; waits on DDS matching with deadlines, never on sleeps.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile

from fusion.core.time import NS_PER_S, ns_to_ros_time
from fusion.ros.adapter import ros_topic
from fusion.ros.message_types import ros_type
from fusion.ros.qos import input_qos, output_qos

REPO = Path(__file__).resolve().parents[2]
LAUNCH_FILE = REPO / "launch" / "taishan.launch.yaml"
PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """In the child before exec: Linux sends it SIGINT when this process dies (PR_SET_PDEATHSIG),
    so a crashed driver never leaves a graph running."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT)


class LaunchedGraph:
    """`taishan launch launch/taishan.launch.yaml ARGS` in a subprocess of this Python (so with this
    environment's rclpy), its output in a file; `stop()` sends SIGINT as Ctrl-C would."""

    def __init__(self, arguments: dict[str, str], launch_file: Path = LAUNCH_FILE):
        self._log = tempfile.NamedTemporaryFile("w+", prefix="taishan-launch-", suffix=".log", delete=False)
        cmd = [sys.executable, "-m", "fusion", "launch", str(launch_file), *[f"{k}:={v}" for k, v in arguments.items()]]
        self.process = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=REPO, env=dict(os.environ, PYTHONUNBUFFERED="1"), preexec_fn=_stop_with_parent)

    def output(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout_s: float = 30.0) -> tuple[int, str]:
        """SIGINT, then wait; returns (exit code, everything the graph printed)."""
        if self.alive():
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        text = self.output()
        self._log.close()
        os.unlink(self._log.name)
        return code, text


class GraphClient(Node):
    """Publishers into the graph and subscriptions to its outputs, by core topic name (relative to
    the client's namespace, as the graph's nodes resolve them)."""

    def __init__(self, name: str = "taishan_graph_client", namespace: str = ""):
        super().__init__(name, namespace=namespace)
        self.executor_ = SingleThreadedExecutor()
        self.executor_.add_node(self)
        self.publishers_: dict[str, Any] = {}
        self.received: dict[str, list[tuple[float, Any]]] = {}   # topic -> (monotonic arrival, message)
        self._subs: dict[str, Any] = {}
        self._clock_publisher = self.create_publisher(ros_type("rosgraph_msgs/msg/Clock"), "/clock", 10)

    def publisher(self, topic: str, msgtype: str, qos: QoSProfile | None = None) -> Any:
        if topic not in self.publishers_:
            self.publishers_[topic] = self.create_publisher(ros_type(msgtype), ros_topic(topic), qos or output_qos(False))
        return self.publishers_[topic]

    def subscribe(self, topic: str, msgtype: str, on_message: Callable[[Any], None] | None = None,
                  qos: QoSProfile | None = None, raw: bool = False) -> None:
        """Keep what arrives in `received` (or hand it to on_message); raw: the serialized bytes,
        before rclpy spends time deserializing them."""
        store = self.received.setdefault(topic, [])

        def callback(msg: Any) -> None:
            if on_message is not None:
                on_message(msg)
            else:
                store.append((time.monotonic(), msg))

        self._subs[topic] = self.create_subscription(ros_type(msgtype), ros_topic(topic), callback, qos or input_qos(False),
                                                     raw=raw)

    def publish(self, topic: str, msg: Any) -> None:
        self.publishers_[topic].publish(msg)

    def publish_clock(self, stamp_ns: int) -> None:
        sec, nanosec = ns_to_ros_time(stamp_ns)
        msg = ros_type("rosgraph_msgs/msg/Clock")()
        msg.clock.sec, msg.clock.nanosec = sec, nanosec
        self._clock_publisher.publish(msg)

    def start_clock(self, start_ns: int, rate: float = 1.0, period_ns: int = NS_PER_S // 100) -> SimClock:
        """Publish /clock at start_ns; the returned SimClock moves it on, paced against the wall clock."""
        self.publish_clock(start_ns)
        return SimClock(self, start_ns, rate, period_ns)

    def spin_until(self, done: Callable[[], bool], deadline_s: float, what: str) -> None:
        end = time.monotonic() + deadline_s
        while not done():
            if time.monotonic() > end:
                raise TimeoutError(f"timed out after {deadline_s:.0f} s waiting for {what}")
            self.executor_.spin_once(timeout_sec=0.02)

    def spin_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor_.spin_once(timeout_sec=max(0.0, min(0.02, end - time.monotonic())))

    def unmatched(self) -> list[str]:
        """Our publishers without a subscriber and subscriptions without a publisher."""
        missing = [f"nobody subscribes to {p.topic_name}" for p in self.publishers_.values() if p.get_subscription_count() == 0]
        missing += [f"nobody publishes {s.topic_name}" for s in self._subs.values() if s.get_publisher_count() == 0]
        if self._clock_publisher.get_subscription_count() == 0:
            missing.append("nobody subscribes to /clock")
        return missing

    def wait_matched(self, deadline_s: float, graph: LaunchedGraph | None = None, clock: bool = False) -> None:
        """Until every publisher has a subscriber and every subscription a publisher (and /clock a
        subscriber, with `clock`); fails early if the graph process ended."""
        def matched() -> bool:
            if graph is not None and not graph.alive():
                raise RuntimeError(f"the graph ended while starting:\n{graph.output()[-4000:]}")
            missing = self.unmatched()
            return not [m for m in missing if clock or "/clock" not in m]

        try:
            self.spin_until(matched, deadline_s, "the graph's nodes to match")
        except TimeoutError as exc:
            log = f"\n--- graph output ---\n{graph.output()[-4000:]}" if graph is not None else ""
            raise TimeoutError(f"{exc}: {'; '.join(self.unmatched())}{log}") from None

    def close(self) -> None:
        self.executor_.remove_node(self)
        self.destroy_node()


class SimClock:
    """Simulated time on /clock, as `ros2 bag play --clock` gives it: `advance_to(stamp)` publishes
    every period_ns of simulated time up to stamp, each when `rate` x the wall time since the start
    has passed, serving the client's callbacks meanwhile."""

    def __init__(self, client: GraphClient, start_ns: int, rate: float, period_ns: int):
        self.client, self.start_ns, self.rate, self.period_ns = client, start_ns, rate, period_ns
        self.now_ns = start_ns
        self._wall0 = time.monotonic()

    def advance_to(self, stamp_ns: int) -> None:
        while self.now_ns < stamp_ns:
            self.now_ns = min(self.now_ns + self.period_ns, stamp_ns)
            due = self._wall0 + (self.now_ns - self.start_ns) / NS_PER_S / self.rate
            self.client.spin_for(max(0.0, due - time.monotonic()))
            self.client.publish_clock(self.now_ns)
