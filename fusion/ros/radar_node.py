"""taishan_radar_node: the radar front-end, one fusion.graph.radar.RadarNode core per radar.

In: sensors/<radar>/scan (radar_msgs/RadarScan), or sensors/<radar>/points (a radar
sensor_msgs/PointCloud2 with x, y, z, radial velocity, RCS) with `radar_input: points`. Out:
taishan/<radar>/detections (radar_msgs/RadarScan). With `radar_objects: true` also
taishan/ego/odometry in (Doppler compensation) and the moving-object clusters out
(vision_msgs/Detection3DArray). Parameters: configs/radar.yaml (RadarFrontEndConfig), graph.yaml,
node.vehicle_config, node.sensors.
"""
from __future__ import annotations

import sys

from fusion.graph.config import GraphConfig
from fusion.graph.node import NodeCore
from fusion.ros.adapter import CoreNode
from fusion.ros.cores import select_cores
from fusion.ros.runtime import run_node
from fusion.ros.settings import SensorNodeSettings
from sensors.radar.frontend import RadarFrontEndConfig


def build(settings: SensorNodeSettings, graph: GraphConfig, frontend: RadarFrontEndConfig) -> list[NodeCore]:
    return select_cores("radar", settings, graph, radar_frontend=frontend)


def main(argv: list[str] | None = None) -> int:
    return run_node(lambda: CoreNode("radar_frontend", SensorNodeSettings, [RadarFrontEndConfig], build), argv)


if __name__ == "__main__":
    sys.exit(main())
