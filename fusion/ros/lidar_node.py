"""taishan_lidar_node: the lidar front-end, one fusion.graph.lidar.LidarNode core per lidar.

In: sensors/<lidar>/points (sensor_msgs/PointCloud2), or sensors/<lidar>/detections
(vision_msgs/Detection3DArray of an upstream detector) with `lidar_input: detections`;
taishan/ego/odometry (nav_msgs/Odometry, for deskewing). Out: taishan/<lidar>/detections
(vision_msgs/Detection3DArray). Parameters: configs/lidar.yaml (LidarDetectorConfig), graph.yaml,
node.vehicle_config, node.sensors. With graph.yaml's `lidar_detector: learned` each core is the
learned BEV detector (fusion.learned.node.BevDetectorNode, checkpoint named by `bev_config`), which
also reads sensors/<radar>/scan.
"""
from __future__ import annotations

import sys

from fusion.graph.config import GraphConfig
from fusion.graph.node import NodeCore
from fusion.ros.adapter import CoreNode
from fusion.ros.cores import select_cores
from fusion.ros.runtime import run_node
from fusion.ros.settings import SensorNodeSettings
from sensors.lidar.detector import LidarDetectorConfig


def build(settings: SensorNodeSettings, graph: GraphConfig, detector: LidarDetectorConfig) -> list[NodeCore]:
    return select_cores("lidar", settings, graph, lidar_detector=detector)


def main(argv: list[str] | None = None) -> int:
    return run_node(lambda: CoreNode("lidar_frontend", SensorNodeSettings, [LidarDetectorConfig], build), argv)


if __name__ == "__main__":
    sys.exit(main())
