"""The cores one ROS node hosts, made by the same fusion.graph.build.build_nodes that replay uses.

build_nodes makes the whole graph from a full set of configs; a ROS node declares only its own
(the others are left at their defaults, and the cores made from them are dropped), then keeps the
cores of its class and, for front-ends, of the chosen sensors. 'auto' input kinds resolve as
build_nodes resolves them without a bag (the first preference: lidar points, radar scans).
"""
from __future__ import annotations

from typing import Any

from fusion.ego.config import EgoConfig
from fusion.graph.build import GraphConfigs, build_nodes
from fusion.graph.config import GraphConfig
from fusion.graph.node import NodeCore
from fusion.ros.settings import NodeSettings, SensorNodeSettings
from fusion.tracking.config import TrackerConfig


def select_cores(kind: type[NodeCore], settings: NodeSettings, graph: GraphConfig, sensor_kind: str | None = None,
                 **configs: Any) -> list[NodeCore]:
    """The cores of class `kind` that build_nodes makes with these configs (GraphConfigs field
    names: tracker, ego, lidar_detector, radar_frontend); for a front-end (`sensor_kind` given, and
    SensorNodeSettings) only those of settings.sensors."""
    vehicle = settings.vehicle()
    full = GraphConfigs(vehicle=vehicle, tracker=configs.pop("tracker", None) or TrackerConfig(),
                        ego=configs.pop("ego", None) or EgoConfig(), graph=graph, **configs)
    cores = [c for c in build_nodes(full) if isinstance(c, kind)]
    if isinstance(settings, SensorNodeSettings) and sensor_kind is not None:
        chosen = settings.chosen(vehicle, sensor_kind)
        cores = [c for c in cores if getattr(c, "sensor_id", None) in chosen]
    return cores
