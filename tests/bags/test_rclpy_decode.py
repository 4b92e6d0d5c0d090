"""Every message we write decodes with real rclpy (ROS 2 Jazzy's deserialize_message) to the same
values rosbags reads: the simulator's bag (every input type) and a replay's output bag."""
import dataclasses
import json
import subprocess

import pytest

from datasets.bags.replay import replay_bag


def test_every_written_message_decodes_with_rclpy(sim_bag, graph_configs, venv_ros, repo_root, tmp_path):
    out = tmp_path / "replayed.mcap"
    object_level = dataclasses.replace(graph_configs, graph=graph_configs.graph.model_copy(update={"lidar_input": "detections"}))
    result = replay_bag(sim_bag, object_level, out=out)
    assert result.object_lists
    run = subprocess.run([str(venv_ros), str(repo_root / "tests" / "bags" / "rclpy_decode.py"), str(sim_bag), str(out)],
                         capture_output=True, text=True, timeout=300, cwd=repo_root)
    if run.returncode != 0 and not run.stdout.strip():
        pytest.fail(f"rclpy decoder did not run:\n{run.stderr[-3000:]}")
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert not report["errors"] and not report["mismatches"], report
    expected = {"sensor_msgs/msg/PointCloud2", "sensor_msgs/msg/Imu", "sensor_msgs/msg/NavSatFix", "sensor_msgs/msg/CameraInfo",
                "geometry_msgs/msg/TwistWithCovarianceStamped",
                "radar_msgs/msg/RadarScan", "vision_msgs/msg/Detection2DArray", "vision_msgs/msg/Detection3DArray",
                "tf2_msgs/msg/TFMessage", "autoware_perception_msgs/msg/TrackedObjects", "visualization_msgs/msg/MarkerArray",
                "nav_msgs/msg/Odometry", "diagnostic_msgs/msg/DiagnosticArray"}
    assert expected <= set(report["messages"]), set(report["messages"])
