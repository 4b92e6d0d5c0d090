"""taishan_camera_node: the camera front-end, one fusion.graph.camera.CameraNode core per camera.

In: sensors/<camera>/detections (vision_msgs/Detection2DArray of an upstream 2D detector) and
sensors/<camera>/camera_info (sensor_msgs/CameraInfo, optional: it replaces the configured
intrinsics). Out: taishan/<camera>/detections (vision_msgs/Detection2DArray, checked and clipped to
the image). Parameters: graph.yaml, node.vehicle_config, node.sensors.
"""
from __future__ import annotations

import sys

from fusion.graph.config import GraphConfig
from fusion.graph.node import NodeCore
from fusion.ros.adapter import CoreNode
from fusion.ros.cores import select_cores
from fusion.ros.runtime import run_node
from fusion.ros.settings import SensorNodeSettings


def build(settings: SensorNodeSettings, graph: GraphConfig) -> list[NodeCore]:
    return select_cores("camera", settings, graph)


def main(argv: list[str] | None = None) -> int:
    return run_node(lambda: CoreNode("camera_frontend", SensorNodeSettings, [], build), argv)


if __name__ == "__main__":
    sys.exit(main())
