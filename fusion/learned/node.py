"""The learned-fusion node core: lidar sweeps and radar scans in, the BEV detector's boxes out on the
lidar's front-end topic (in the lidar's frame), where the tracker reads lidar boxes. It stands in for
the classical lidar node (fusion.graph.lidar.LidarNode) of that lidar.

The graph builds it when graph.yaml has `lidar_detector: learned` (fusion.graph.build); the
checkpoint is the one its BEV config names, relative to that file (nothing is downloaded). With recent
ego odometry the sweep is deskewed and each radar scan is moved by the ego motion between its stamp
and the sweep's (constant twist); without it, radar scans are placed by their static mounts and the
boxes carry no velocity (the tracker takes box velocities relative to the sensor).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from fusion.config.vehicle import VehicleConfig
from fusion.core import quaternion as quat
from fusion.core.errors import UnknownFrameError
from fusion.core.measurements import Boxes3D, LidarPointCloud, RadarDetections
from fusion.core.time import NS_PER_S
from fusion.core.transform import Transform
from fusion.ego.state import Odometry
from fusion.graph.ego_motion import MAX_AGE_NS, EgoMotion
from fusion.graph.node import NodeCore, Output
from fusion.graph.topics import EGO_ODOMETRY, frontend_topic, sensor_topic
from fusion.learned.bev.config import BevDetectorConfig
from fusion.learned.bev.detector import BevDetector, transform_boxes
from fusion.learned.bev.inputs import RadarScan, bev_inputs, cloud_intensity, lidar_points_in_base
from fusion.messages import detection3d, odometry, pointcloud2, radar_scan


class BevDetectorNode(NodeCore):
    def __init__(self, lidar_id: str, vehicle: VehicleConfig, config: BevDetectorConfig, detector: BevDetector | None = None):
        super().__init__(f"bev_detector_{lidar_id}")
        self.lidar_id, self.vehicle, self.config = lidar_id, vehicle, config
        self.lidar = vehicle.sensors[lidar_id]
        self.tree = vehicle.transform_tree()
        self.base = vehicle.vehicle.base_frame
        self.T_base_lidar = self.tree.lookup(self.base, self.lidar.frame_id)
        self.detector = detector or BevDetector(config)
        if config.torch_threads:
            torch.set_num_threads(config.torch_threads)
        self.ego = EgoMotion()
        self.radar: dict[str, RadarDetections] = {}
        self.add_input(sensor_topic(lidar_id, "points"), {"sensor_msgs/msg/PointCloud2": self._decode_cloud})
        for radar_id in vehicle.sensors_of_kind("radar"):
            self.add_input(sensor_topic(radar_id, "scan"), {"radar_msgs/msg/RadarScan": self._radar_decoder(radar_id)})
        self.add_input(EGO_ODOMETRY, {"nav_msgs/msg/Odometry": odometry.to_odometry}, sensor_data=False)
        self.add_output(frontend_topic(lidar_id), "vision_msgs/msg/Detection3DArray", detection3d.from_boxes3d)

    def _decode_cloud(self, msg: Any, topic: str) -> LidarPointCloud:
        return pointcloud2.to_lidar_cloud(msg, self.lidar_id, topic)[0]

    def _radar_decoder(self, radar_id: str) -> Any:
        return lambda msg, topic: radar_scan.to_radar_detections(msg, radar_id, topic)[0]

    def _process(self, topic: str, data: Any, now_ns: int) -> list[Output]:
        if isinstance(data, Odometry):
            self.ego.update(data)
            return []
        if isinstance(data, RadarDetections):
            self.radar[data.sensor_id] = data
            return []
        if data.frame_id != self.lidar.frame_id:
            raise UnknownFrameError(f"frame {data.frame_id!r}", f"{self.name} expects frame {self.lidar.frame_id!r}")
        return [Output(frontend_topic(self.lidar_id), data.stamp_ns, self.detect(data))]

    def _ego_shift(self, from_ns: int, to_ns: int) -> Transform:
        """base_link at to_ns <- base_link at from_ns, from the odometry twist (identity without it)."""
        odom = self.ego.latest
        if odom is None or abs(odom.stamp_ns - to_ns) > MAX_AGE_NS:
            return Transform.identity()
        dt = (from_ns - to_ns) / NS_PER_S
        omega = np.asarray(odom.angular_velocity, dtype=float)
        return Transform(np.asarray(odom.linear_velocity, dtype=float) * dt, quat.from_rotvec(omega * dt))

    def detect(self, cloud: LidarPointCloud) -> Boxes3D:
        """The detector's boxes for one sweep, in the lidar frame."""
        period_ns = NS_PER_S / self.lidar.rate_hz
        mid_ns = cloud.stamp_ns + int(period_ns / 2)
        window_ns = self.config.raster.radar_window_s * NS_PER_S
        scans = [RadarScan(scan, self._ego_shift(scan.stamp_ns, cloud.stamp_ns) @ self.tree.lookup(self.base, scan.frame_id))
                 for scan in self.radar.values() if abs(scan.stamp_ns - mid_ns) <= window_ns]
        points = lidar_points_in_base(cloud, self.T_base_lidar, self.ego.sensor_twist(self.T_base_lidar, cloud.stamp_ns))
        boxes = self.detector.detect(bev_inputs(points, cloud_intensity(cloud), scans), cloud.stamp_ns, self.base, self.lidar_id)
        twist = self.ego.sensor_twist(self.T_base_lidar, cloud.stamp_ns)
        # the tracker reads box velocities relative to the sensor: known only with the ego twist
        return transform_boxes(boxes, self.T_base_lidar.inverse(), self.lidar.frame_id, None if twist is None else -twist[0])
