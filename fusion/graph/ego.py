"""The ego estimator node: IMU, GNSS and (when the vehicle has it) wheel speed in; once the estimator is initialised, odometry and tf
map -> base_link out after each IMU sample, or at most at the graph config's ego_rate_hz (after the
first IMU sample in each period, periods being multiples of 1 / rate in stamp time, so the choice
does not depend on when messages arrive). The filter still steps with every sample; the
rate only thins what is published, which its consumers interpolate (tracker) or take the latest
of (front-ends)."""
from __future__ import annotations

from typing import Any

from fusion.config.vehicle import VehicleConfig
from fusion.core.measurements import ImuSample
from fusion.core.time import NS_PER_S
from fusion.ego.config import EgoConfig
from fusion.ego.estimator import EgoEstimator
from fusion.graph.diagnostics import Level, Status
from fusion.graph.node import NodeCore, Output
from fusion.graph.topics import EGO_ODOMETRY, TF, WHEEL_SPEED, WHEEL_SPEED_SENSOR, sensor_topic
from fusion.messages import imu, navsat, odometry, tf, wheel_speed


class EgoNode(NodeCore):
    def __init__(self, config: EgoConfig, vehicle: VehicleConfig, rate_hz: float = 0.0, name: str = "ego_estimator"):
        """rate_hz: the most odometry outputs per second (0: one per IMU sample)."""
        super().__init__(name)
        self.estimator = EgoEstimator(config, vehicle)
        self.output_period_ns = int(round(NS_PER_S / rate_hz)) if rate_hz > 0 else 0
        self._last_period: int | None = None     # stamp // output_period_ns of the last output
        imu_id, gnss_id = config.imu_sensor, config.gnss_sensor
        self.add_input(sensor_topic(imu_id, "imu"), {"sensor_msgs/msg/Imu": lambda m, t: imu.to_imu_sample(m, imu_id, t)})
        self.add_input(sensor_topic(gnss_id, "fix"), {"sensor_msgs/msg/NavSatFix": lambda m, t: navsat.to_gnss_fix(m, gnss_id, t)})
        if vehicle.wheel_speed.enabled:
            base = vehicle.vehicle.base_frame
            self.add_input(WHEEL_SPEED, {"geometry_msgs/msg/TwistWithCovarianceStamped":
                                         lambda m, t: wheel_speed.to_wheel_speed(m, WHEEL_SPEED_SENSOR, base, t)})
        self.add_output(EGO_ODOMETRY, "nav_msgs/msg/Odometry", odometry.from_odometry)
        self.add_output(TF, "tf2_msgs/msg/TFMessage", tf.from_transforms)

    def _process(self, topic: str, data: Any, now_ns: int) -> list[Output]:
        self.estimator.process(data)
        if not isinstance(data, ImuSample) or not self.estimator.initialised:
            return []
        if self.output_period_ns:
            period = data.stamp_ns // self.output_period_ns
            if period == self._last_period:
                return []
            self._last_period = period
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
