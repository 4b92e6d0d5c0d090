"""`taishan replay --publish` plays a bag into a live ROS 2 graph with /clock (real rclpy, in a
private loopback-only network namespace)."""
import json
import subprocess

import pytest

from datasets.bags.reader import BagReader
from datasets.bags.writer import BagWriter


def test_bag_is_published_with_clock_for_sim_time_nodes(sim_bag, venv_ros, repo_root, tmp_path):
    short = tmp_path / "short.mcap"
    imu = 0
    with BagReader(sim_bag) as source, BagWriter(short) as out:     # the first 2 s: 0.5 s at rate 4
        start = None
        for raw in source.messages():
            start = raw.log_ns if start is None else start
            if raw.log_ns - start > 2_000_000_000:
                break
            msgdef, digest = source.definition(raw)
            out.write_raw(raw.topic, raw.msgtype, raw.log_ns, raw.data, msgdef, digest)
            imu += raw.topic == "/sensors/imu/imu"
    run = subprocess.run([str(repo_root / "tools" / "netns_run.sh"), str(venv_ros), str(repo_root / "tests" / "bags" / "publish_check.py"),
                          str(short), str(imu)], capture_output=True, text=True, timeout=180, cwd=repo_root)
    if run.returncode == 77:
        pytest.skip(f"no private network namespace here: {run.stderr.strip()}")
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, f"publish check printed no report:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    report = json.loads(lines[-1])
    assert run.returncode == 0, report
    assert report["imu"] >= 0.9 * imu and report["clocks"] > imu
