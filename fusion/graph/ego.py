"""The ego estimator node: IMU and GNSS in; odometry and tf map -> base_link out after each IMU
sample once the estimator is initialised."""
from __future__ import annotations

from typing import Any

from fusion.config.vehicle import VehicleConfig
from fusion.core.measurements import ImuSample
from fusion.ego.config import EgoConfig
from fusion.ego.estimator import EgoEstimator
from fusion.graph.diagnostics import Level, Status
from fusion.graph.node import NodeCore, Output
from fusion.graph.topics import EGO_ODOMETRY, TF, sensor_topic
from fusion.messages import imu, navsat, odometry, tf


class EgoNode(NodeCore):
    def __init__(self, config: EgoConfig, vehicle: VehicleConfig, name: str = "ego_estimator"):
        super().__init__(name)
        self.estimator = EgoEstimator(config, vehicle)
        imu_id, gnss_id = config.imu_sensor, config.gnss_sensor
        self.add_input(sensor_topic(imu_id, "imu"), {"sensor_msgs/msg/Imu": lambda m, t: imu.to_imu_sample(m, imu_id, t)})
        self.add_input(sensor_topic(gnss_id, "fix"), {"sensor_msgs/msg/NavSatFix": lambda m, t: navsat.to_gnss_fix(m, gnss_id, t)})
        self.add_output(EGO_ODOMETRY, "nav_msgs/msg/Odometry", odometry.from_odometry)
        self.add_output(TF, "tf2_msgs/msg/TFMessage", tf.from_transforms)

    def _process(self, topic: str, data: Any, now_ns: int) -> list[Output]:
        self.estimator.process(data)
        if not isinstance(data, ImuSample) or not self.estimator.initialised:
            return []
        odom = self.estimator.odometry()
        return [Output(EGO_ODOMETRY, odom.stamp_ns, odom),
                Output(TF, odom.stamp_ns, [odometry.odometry_transform(odom)])]

    def status(self, now_ns: int) -> Status:
        counts = self.estimator.diagnostics.counts()
        extra = {f"estimator {k}": f"{v:g}" for k, v in counts.items()}
        extra["initialised"] = str(self.estimator.initialised)
        extra["converged"] = str(self.estimator.converged)
        status = self.diagnostics.status(now_ns, extra)
        if not self.estimator.initialised:
            status.level = max(status.level, Level.WARN)
            status.message = "not initialised (waiting for a quiet IMU window and a GNSS heading); " + status.message
        return status
