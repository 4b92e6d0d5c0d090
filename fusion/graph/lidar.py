"""The lidar front-end node: PointCloud2 sweeps through the lidar detector (deskewed with the ego
twist when odometry is at hand), or an upstream detector's Detection3DArray checked and passed on
(then the node does not follow the odometry); either way Boxes3D in the lidar frame go to the tracker."""
from __future__ import annotations

from typing import Any

from fusion.config.vehicle import LidarConfig
from fusion.core.measurements import Boxes3D, LidarPointCloud
from fusion.core.transform import Transform
from fusion.graph.frontend_node import FrontEndNode
from fusion.graph.node import Output
from fusion.graph.topics import EGO_ODOMETRY, frontend_topic, sensor_topic
from fusion.messages import detection3d, odometry, pointcloud2
from sensors.lidar.detector import LidarDetector, LidarDetectorConfig


class LidarNode(FrontEndNode):
    def __init__(self, sensor_id: str, sensor: LidarConfig, T_base_sensor: Transform, input_kind: str = "points",
                 detector: LidarDetectorConfig | None = None):
        """input_kind 'points' runs the detector on PointCloud2; 'detections' takes Detection3DArray boxes."""
        super().__init__(f"lidar_{sensor_id}", sensor_id, sensor, T_base_sensor)
        self.detector = LidarDetector(detector)
        if input_kind == "points":
            self.add_input(sensor_topic(sensor_id, "points"), {"sensor_msgs/msg/PointCloud2": self._decode_cloud})
            self.add_input(EGO_ODOMETRY, {"nav_msgs/msg/Odometry": odometry.to_odometry}, sensor_data=False)  # deskewing
        else:
            self.add_input(sensor_topic(sensor_id, "detections"), {"vision_msgs/msg/Detection3DArray": self._decode_boxes})
        self.add_output(frontend_topic(sensor_id), "vision_msgs/msg/Detection3DArray", detection3d.from_boxes3d)

    def _decode_cloud(self, msg: Any, topic: str) -> LidarPointCloud:
        return pointcloud2.to_lidar_cloud(msg, self.sensor_id, topic)[0]   # NaN points mark "no return"

    def _decode_boxes(self, msg: Any, topic: str) -> Boxes3D:
        boxes, skipped = detection3d.to_boxes3d(msg, self.sensor_id, topic)
        for class_id, count in skipped.items():
            self.diagnostics.dropped(topic, f"class {class_id!r} is not a road user", count=count)
        return boxes

    def _process_sensor(self, data: Any) -> list[Output]:
        if isinstance(data, LidarPointCloud):
            data = self.detector.detect(data, self.ego.sensor_twist(self.T_base_sensor, data.stamp_ns)).boxes
        return [Output(frontend_topic(self.sensor_id), data.stamp_ns, data)]
