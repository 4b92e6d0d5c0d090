"""`taishan bench graph`: stamp-to-object-list latency through the live rclpy graph.

The measurement itself (fusion.ros.graph_bench) needs real rclpy, so it runs in .venv-ros, inside
a private loopback-only network namespace (tools/netns_run.sh) so that DDS stays on this machine.
Where either is missing the figures say "skipped: <reason>".
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from fusion.core.errors import TaishanError
from fusion.ros.environment import NETNS_UNAVAILABLE, ros_command, ros_environment, ros_python_problem

RUN_S, QUICK_RUN_S = 20.0, 6.0


def bench_graph(args: argparse.Namespace) -> dict[str, Any]:
    problem = ros_python_problem()
    if problem:
        return {"skipped": problem}
    with tempfile.TemporaryDirectory(prefix="taishan-bench-graph-") as tmp:
        out = Path(tmp) / "figures.json"
        duration = QUICK_RUN_S if getattr(args, "quick", False) else RUN_S
        cmd = ros_command(["-m", "fusion.ros.graph_bench", "--json", str(out), "--duration", str(duration)], netns=True)
        proc = subprocess.run(cmd, env=ros_environment(Path(tmp)), capture_output=True, text=True,
                              timeout=2 * duration + 240)   # two layouts, each started and stopped
        if proc.returncode == NETNS_UNAVAILABLE:
            return {"skipped": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no network namespace"}
        if proc.returncode != 0 or not out.is_file():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
            raise TaishanError(f"the graph benchmark failed (exit {proc.returncode}):\n{tail}")
        return json.loads(out.read_text())


def register(groups) -> None:
    groups.add_benchmark("graph", "stamp-to-object-list latency p50/p99 through the live rclpy graph (20 Hz, 100 objects; "
                                  "front-end and tracker composed in one process, and separate)",
                         bench_graph)
