"""taishan_radar_node: the radar front-end, one fusion.graph.radar.RadarNode core per radar.

In: sensors/<radar>/scan (radar_msgs/RadarScan), or sensors/<radar>/points (a radar
sensor_msgs/PointCloud2 with x, y, z, radial velocity, RCS) with `radar_input: points`;
taishan/ego/odometry (nav_msgs/Odometry, for Doppler compensation). Out: taishan/<radar>/detections
(radar_msgs/RadarScan). Parameters: configs/radar.yaml (RadarFrontEndConfig), graph.yaml,
node.vehicle_config, node.sensors.
"""
from __future__ import annotations

import sys

from fusion.graph.config import GraphConfig
from fusion.graph.node import NodeCore
from fusion.graph.radar import RadarNode
from fusion.ros.adapter import CoreNode
from fusion.ros.frontends import base_to_sensor
from fusion.ros.runtime import run_node
from fusion.ros.settings import SensorNodeSettings
from sensors.radar.frontend import RadarFrontEndConfig


def build(settings: SensorNodeSettings, graph: GraphConfig, frontend: RadarFrontEndConfig) -> list[NodeCore]:
    vehicle = settings.vehicle()
    kind = "scan" if graph.radar_input == "auto" else graph.radar_input     # 'auto' without a bag: scan
    return [RadarNode(name, sensor, base_to_sensor(vehicle, sensor.frame_id), kind, frontend)
            for name, sensor in settings.chosen(vehicle, "radar").items()]


def main(argv: list[str] | None = None) -> int:
    return run_node(lambda: CoreNode("radar_frontend", SensorNodeSettings, [RadarFrontEndConfig], build), argv)


if __name__ == "__main__":
    sys.exit(main())
