"""taishan_tracker_node: the multi-object tracker (fusion.graph.tracker.TrackerNode).

In: taishan/<sensor>/detections of every enabled camera, radar and lidar (the front-ends' outputs),
/tf (map -> base_link from the ego node) and /tf_static. Out, after each processed measurement
(`objects_trigger: input`, the launch files' default) or at graph.yaml's objects_rate_hz ('timer'):
taishan/objects (autoware_perception_msgs/TrackedObjects, reliable), taishan/objects/detections
(vision_msgs/Detection3DArray) and taishan/objects/markers (visualization_msgs/MarkerArray).
Parameters: configs/tracker.yaml (TrackerConfig), graph.yaml, node.vehicle_config. With graph.yaml's
`lidar_association: learned` lidar boxes are associated by the learned cost (`association_config`).
"""
from __future__ import annotations

import sys

from fusion.graph.config import GraphConfig
from fusion.graph.node import NodeCore
from fusion.ros.adapter import CoreNode
from fusion.ros.cores import select_cores
from fusion.ros.runtime import run_node
from fusion.ros.settings import NodeSettings
from fusion.tracking.config import TrackerConfig


def build(settings: NodeSettings, graph: GraphConfig, tracker: TrackerConfig) -> list[NodeCore]:
    return select_cores("tracker", settings, graph, tracker=tracker)


def main(argv: list[str] | None = None) -> int:
    return run_node(lambda: CoreNode("tracker", NodeSettings, [TrackerConfig], build), argv)


if __name__ == "__main__":
    sys.exit(main())
