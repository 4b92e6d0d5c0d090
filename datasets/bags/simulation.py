"""A simulated scenario as a rosbag2 bag: what `taishan simulate --out scene.mcap` and
`taishan convert sim` write.

Each measurement is recorded at its arrival time (stamp + the sensor's latency) with its
acquisition stamp in the header, as a recorder on the vehicle would have logged it:
- camera: vision_msgs/Detection2DArray and sensor_msgs/CameraInfo;
- radar: radar_msgs/RadarScan, and the same returns as sensor_msgs/PointCloud2 (x y z v_r rcs) for
  RViz and Foxglove, which do not draw RadarScan;
- lidar: the simulated detector's boxes as vision_msgs/Detection3DArray, and the ray-cast sweep as
  sensor_msgs/PointCloud2 when the scenario makes point clouds;
- sensor_msgs/Imu, sensor_msgs/NavSatFix and the wheel speed as geometry_msgs/TwistWithCovarianceStamped;
- /tf_static with the vehicle's extrinsics, first;
- ground truth at its stamps: /ground_truth/objects and /ground_truth/odometry.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from tqdm import tqdm

from datasets.bags.writer import BagWriter
from datasets.simulation.scenario import Scenario
from fusion.config.vehicle import CameraConfig, ImuConfig
from fusion.core.measurements import Boxes3D, CameraDetections, GnssFix, ImuSample, LidarPointCloud, RadarDetections
from fusion.graph import topics
from fusion.ego.wheel_speed import WheelSpeed
from fusion.messages import (camera_info, detection2d, detection3d, ground_truth, imu, navsat, odometry, pointcloud2, radar_scan, tf,
                             wheel_speed)
from fusion.messages.header import MessageTypes
from sensors.camera.pinhole import PinholeCamera


def _radar_cloud(types: MessageTypes, d: RadarDetections) -> Any:
    xyz = d.to_cartesian().astype(np.float32)
    return pointcloud2.encode(types, d.stamp_ns, d.frame_id, {"x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
                                                              "v_r": d.range_rate.astype(np.float32),
                                                              "rcs": d.rcs.astype(np.float32)})


class MeasurementEncoder:
    """A simulated measurement -> [(topic, message)] on the graph's input topics, for one scenario's
    vehicle. `types` maps type names to message classes: rosbags' (the bag writer's) or rclpy's (a
    driver publishing a scenario into the live graph), so bags and live input carry the same messages."""

    def __init__(self, scenario: Scenario, types: MessageTypes):
        self.types = types
        vehicle = scenario.vehicle
        self.cameras = {name: PinholeCamera.from_config(s.intrinsics, s.frame_id)
                        for name, s in vehicle.sensors.items() if isinstance(s, CameraConfig)}
        self.imu_variances = {name: (s.gyro_noise_density**2 * s.rate_hz, s.accel_noise_density**2 * s.rate_hz)
                              for name, s in vehicle.sensors.items() if isinstance(s, ImuConfig)}

    def __call__(self, m: Any) -> list[tuple[str, Any]]:
        T, sensor = self.types, m.sensor_id
        if isinstance(m, CameraDetections):
            return [(topics.sensor_topic(sensor, "detections"), detection2d.from_camera_detections(T, m)),
                    (topics.sensor_topic(sensor, "camera_info"), camera_info.from_camera(T, self.cameras[sensor], m.stamp_ns))]
        if isinstance(m, RadarDetections):
            return [(topics.sensor_topic(sensor, "scan"), radar_scan.from_radar_detections(T, m)),
                    (topics.sensor_topic(sensor, "points"), _radar_cloud(T, m))]
        if isinstance(m, Boxes3D):
            return [(topics.sensor_topic(sensor, "detections"), detection3d.from_boxes3d(T, m))]
        if isinstance(m, LidarPointCloud):
            return [(topics.sensor_topic(sensor, "points"), pointcloud2.from_lidar_cloud(T, m))]
        if isinstance(m, ImuSample):
            return [(topics.sensor_topic(sensor, "imu"), imu.from_imu_sample(T, m, *self.imu_variances[sensor]))]
        if isinstance(m, GnssFix):
            return [(topics.sensor_topic(sensor, "fix"), navsat.from_gnss_fix(T, m))]
        if isinstance(m, WheelSpeed):
            return [(topics.WHEEL_SPEED, wheel_speed.from_wheel_speed(T, m))]
        raise TypeError(f"no bag encoding for {type(m).__name__}")


def _timeline(scenario: Scenario) -> Iterator[tuple[int, int, Any]]:
    """(log time, order, item) of every event and truth frame, in log-time order."""
    items = [(e.arrival_ns, 1, i, e.measurement) for i, e in enumerate(scenario.events)]
    items += [(f.stamp_ns, 0, i, f) for i, f in enumerate(scenario.truth)]
    items.sort(key=lambda x: x[:3])
    for log_ns, order, _, item in items:
        yield log_ns, order, item


def write_scenario_bag(scenario: Scenario, path: str | Path, *, storage: str = "mcap", overwrite: bool = False,
                       progress: bool = False) -> dict[str, int]:
    """Write the scenario; returns the message count per topic."""
    with BagWriter(path, storage=storage, overwrite=overwrite) as bag:
        T = bag.types
        encode = MeasurementEncoder(scenario, T)
        timeline = list(_timeline(scenario))
        start = min(min(log for log, _, _ in timeline), int(scenario.ego.stamps_ns[0]))
        bag.write(topics.TF_STATIC, tf.from_transforms(T, tf.vehicle_extrinsics(scenario.vehicle, start)), start)
        base = scenario.vehicle.vehicle.base_frame
        for log_ns, order, item in tqdm(timeline, desc=f"write {Path(path).name}", unit="msg", file=sys.stderr,
                                        disable=not progress):
            if order == 0:
                bag.write(topics.GROUND_TRUTH_OBJECTS, ground_truth.from_truth_frame(T, item), log_ns)
                odom = ground_truth.ego_odometry(scenario.ego, item.stamp_ns, child_frame_id=base)
                bag.write(topics.GROUND_TRUTH_ODOMETRY, odometry.from_odometry(T, odom), log_ns)
                continue
            for topic, msg in encode(item):
                bag.write(topic, msg, log_ns)
        return dict(bag.counts)


def simulate_to_bag(scenario: Scenario, out: Path) -> bool:
    """`taishan simulate --out NAME.mcap|NAME.db3`: write the scenario as a bag and report it; False
    (nothing done) for any other output path, which `taishan simulate` saves as a scenario folder."""
    if Path(out).suffix not in (".mcap", ".db3"):
        return False
    counts = write_scenario_bag(scenario, out, overwrite=True, progress=True)
    for topic, count in counts.items():
        print(f"  {topic:<48} {count:>7}")
    print(f"wrote {out} ({sum(counts.values())} messages)")
    return True
