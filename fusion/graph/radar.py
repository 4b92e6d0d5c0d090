"""The radar front-end node: a RadarScan (or a radar PointCloud2) in; the scan's detections, checked,
go on to the tracker (whose radar model predicts the raw range rate). Optionally (graph config
radar_objects) the radar front-end also clusters each scan's moving returns into objects, with the
Doppler compensated by the ego twist (or, without recent odometry, by the sensor velocity it fits
to the scan's static returns), published for visualisation."""
from __future__ import annotations

from typing import Any

import numpy as np

from fusion.config.vehicle import RadarConfig
from fusion.core.measurements import RadarDetections
from fusion.core.transform import Transform
from fusion.graph.diagnostics import Status
from fusion.graph.frontend_node import FrontEndNode
from fusion.graph.node import Output
from fusion.graph.topics import EGO_ODOMETRY, frontend_topic, objects_topic, sensor_topic
from fusion.messages import detection3d, odometry, pointcloud2, radar_scan
from sensors.radar.ego_velocity import SensorVelocity
from sensors.radar.frontend import RadarFrontEnd, RadarFrontEndConfig


class RadarNode(FrontEndNode):
    def __init__(self, sensor_id: str, sensor: RadarConfig, T_base_sensor: Transform, input_kind: str = "scan",
                 frontend: RadarFrontEndConfig | None = None, objects: bool = False):
        """input_kind 'scan' reads radar_msgs/RadarScan, 'points' a radar PointCloud2; objects runs the
        radar front-end on every scan and publishes its moving objects."""
        super().__init__(f"radar_{sensor_id}", sensor_id, sensor, T_base_sensor)
        self.frontend = RadarFrontEnd(frontend) if objects else None
        self.velocity_fits = {"from odometry": 0, "from scan": 0, "none": 0}
        decoders = {"scan": {"radar_msgs/msg/RadarScan": radar_scan.to_radar_detections},
                    "points": {"sensor_msgs/msg/PointCloud2": pointcloud2.to_radar_detections}}[input_kind]
        topic = sensor_topic(sensor_id, input_kind)
        self.add_input(topic, {t: self._decoder(fn) for t, fn in decoders.items()})
        self.add_output(frontend_topic(sensor_id), "radar_msgs/msg/RadarScan", radar_scan.from_radar_detections)
        if objects:
            self.add_input(EGO_ODOMETRY, {"nav_msgs/msg/Odometry": odometry.to_odometry}, sensor_data=False)
            self.add_output(objects_topic(sensor_id), "vision_msgs/msg/Detection3DArray", detection3d.from_boxes3d)

    def _decoder(self, decode: Any) -> Any:
        def run(msg: Any, topic: str) -> RadarDetections:
            detections, dropped = decode(msg, self.sensor_id, topic)
            if dropped:
                self.diagnostics.dropped(topic, "non-finite or negative-range returns", count=dropped)
            return detections

        return run

    def _process_sensor(self, data: Any) -> list[Output]:
        outputs = [Output(frontend_topic(self.sensor_id), data.stamp_ns, data)]
        if self.frontend is not None:
            outputs.append(Output(objects_topic(self.sensor_id), data.stamp_ns, self._objects(data)))
        return outputs

    def _objects(self, detections: RadarDetections) -> Any:
        twist = self.ego.sensor_twist(self.T_base_sensor, detections.stamp_ns)
        given = None
        if twist is not None:
            given = SensorVelocity(twist[0], np.zeros((3, 3)), np.zeros(len(detections), dtype=bool), 0.0, True)
        result = self.frontend.process(detections, given)
        key = "from odometry" if given is not None else "from scan" if result.sensor_velocity.valid else "none"
        self.velocity_fits[key] += 1
        return result.objects.boxes

    def status(self, now_ns: int) -> Status:
        extra = {f"ego velocity {k}": str(v) for k, v in self.velocity_fits.items()} if self.frontend else {}
        return self.diagnostics.status(now_ns, extra)
