"""taishan_ego_node: the ego estimator (fusion.graph.ego.EgoNode, IMU + GNSS error-state filter).

In: sensors/<imu>/imu (sensor_msgs/Imu), sensors/<gnss>/fix (sensor_msgs/NavSatFix); the sensor
names are ego.yaml's imu_sensor and gnss_sensor. Out: taishan/ego/odometry (nav_msgs/Odometry) and
/tf (map -> base_link) after every IMU sample once initialised. Parameters: configs/ego.yaml
(EgoConfig), graph.yaml, node.vehicle_config.
"""
from __future__ import annotations

import sys

from fusion.ego.config import EgoConfig
from fusion.graph.config import GraphConfig
from fusion.graph.node import NodeCore
from fusion.ros.adapter import CoreNode
from fusion.ros.cores import select_cores
from fusion.ros.runtime import run_node
from fusion.ros.settings import NodeSettings


def build(settings: NodeSettings, graph: GraphConfig, ego: EgoConfig) -> list[NodeCore]:
    return select_cores("ego", settings, graph, ego=ego)   # a vehicle without ego.yaml's IMU and GNSS: ConfigError


def main(argv: list[str] | None = None) -> int:
    return run_node(lambda: CoreNode("ego_estimator", NodeSettings, [EgoConfig], build), argv)


if __name__ == "__main__":
    sys.exit(main())
