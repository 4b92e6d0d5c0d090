"""The cores one ROS node hosts, made by fusion.graph.build.build_node, as replay's build_nodes makes them.

A ROS node declares only its own configs (the others are left at their defaults) and builds the
cores of its role: for a front-end one per chosen sensor. 'auto' input kinds resolve as build_node
resolves them without a bag (the first preference: lidar points, radar scans).
"""
from __future__ import annotations

from typing import Any

from fusion.ego.config import EgoConfig
from fusion.graph.build import FRONT_ENDS, GraphConfigs, build_node
from fusion.graph.config import GraphConfig
from fusion.graph.node import NodeCore
from fusion.ros.settings import NodeSettings, SensorNodeSettings
from fusion.tracking.config import TrackerConfig


def select_cores(role: str, settings: NodeSettings, graph: GraphConfig, **configs: Any) -> list[NodeCore]:
    """The cores build_node makes for `role` ('camera', 'radar', 'lidar', 'ego', 'tracker') with these
    configs (GraphConfigs field names: tracker, ego, lidar_detector, radar_frontend); a front-end
    (SensorNodeSettings) gets one per sensor of settings.sensors."""
    vehicle = settings.vehicle()
    full = GraphConfigs(vehicle=vehicle, tracker=configs.pop("tracker", None) or TrackerConfig(),
                        ego=configs.pop("ego", None) or EgoConfig(), graph=graph, **configs)
    if role in FRONT_ENDS and isinstance(settings, SensorNodeSettings):
        return [build_node(role, full, sensor_id) for sensor_id in settings.chosen(vehicle, role)]
    return [build_node(role, full)]
