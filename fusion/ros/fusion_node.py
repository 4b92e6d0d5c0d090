"""taishan_fusion_node: the sensor front-ends and the tracker in one process (one ROS node hosting
their cores), for the least latency where the front-ends are light (object-level inputs: camera
and upstream detector boxes, radar scans). A front-end's detections go to the tracker as core data,
without serializing them (fusion.ros.adapter); they are still published on taishan/<sensor>/detections
for anyone else subscribing. A heavy front-end (the lidar detector on point clouds) would hold the
tracker up in one process: run the separate nodes then (launch argument compose:=false).

In and out: those of taishan_camera_node, taishan_radar_node, taishan_lidar_node (every enabled
sensor of the kinds switched on by node.camera, node.radar, node.lidar, or only those named in
node.sensors) and taishan_tracker_node. Parameters: configs/tracker.yaml (TrackerConfig), the
front-ends' configs (LidarDetectorConfig, RadarFrontEndConfig), graph.yaml, node.vehicle_config,
node.sensors, node.camera / node.radar / node.lidar.
"""
from __future__ import annotations

import sys

from fusion.graph.config import GraphConfig
from fusion.graph.node import NodeCore
from fusion.ros.adapter import CoreNode
from fusion.ros.cores import select_cores
from fusion.ros.runtime import run_node
from fusion.core.errors import ConfigError
from fusion.ros.settings import SensorNodeSettings
from fusion.tracking.config import TrackerConfig
from sensors.lidar.detector import LidarDetectorConfig
from sensors.radar.frontend import RadarFrontEndConfig


class FusionNodeSettings(SensorNodeSettings):
    """`sensors` may name sensors of every front-end kind; [] = every enabled sensor of the kinds on."""

    camera: bool = True    # host the camera front-ends
    radar: bool = True     # host the radar front-ends
    lidar: bool = True     # host the lidar front-ends


def build(settings: FusionNodeSettings, graph: GraphConfig, tracker: TrackerConfig, detector: LidarDetectorConfig,
          radar: RadarFrontEndConfig) -> list[NodeCore]:
    vehicle = settings.vehicle()
    kinds = {name: role for role in ("camera", "radar", "lidar") for name in vehicle.sensors_of_kind(role)}
    unknown = [name for name in settings.sensors if name not in kinds]
    if unknown:
        raise ConfigError("parameter node.sensors", [f"{name!r} is not an enabled camera, radar or lidar of vehicle "
                                                     f"{vehicle.vehicle.name!r}" for name in unknown])
    cores = []
    for role in ("camera", "radar", "lidar"):
        names = [name for name, kind in kinds.items() if kind == role and (not settings.sensors or name in settings.sensors)]
        if getattr(settings, role) and names:
            cores += select_cores(role, settings.model_copy(update={"sensors": names}), graph, lidar_detector=detector,
                                  radar_frontend=radar)
    return cores + select_cores("tracker", settings, graph, tracker=tracker)


def main(argv: list[str] | None = None) -> int:
    return run_node(lambda: CoreNode("fusion", FusionNodeSettings, [TrackerConfig, LidarDetectorConfig, RadarFrontEndConfig], build),
                    argv)


if __name__ == "__main__":
    sys.exit(main())
