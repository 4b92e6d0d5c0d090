"""The vehicle config: body dimensions and every sensor's mounting pose, intrinsics and noise.

The noise and performance figures here are shared by the simulator (which draws measurements with
them) and the filters' measurement models (which weigh measurements with them).
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

import numpy as np
from pydantic import Field

from fusion.config.loader import StrictModel
from fusion.core.transform import Transform
from fusion.core.transform_tree import TransformTree

Vec3 = Annotated[list[float], Field(min_length=3, max_length=3)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class Mount(StrictModel):
    """Pose of the sensor frame in its parent frame (REP 103: x forward, y left, z up for bodies;
    camera optical frames are z forward, x right, y down)."""

    parent_frame: str = "base_link"
    translation: Vec3
    rotation_rpy_deg: Vec3 = [0.0, 0.0, 0.0]

    def transform(self) -> Transform:
        """T_parent_sensor."""
        return Transform.from_rpy(self.translation, np.radians(self.rotation_rpy_deg))


class SensorBase(StrictModel):
    frame_id: str = Field(min_length=1)
    mount: Mount
    rate_hz: Annotated[float, Field(gt=0.0, le=2000.0)]
    latency_s: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0
    enabled: bool = True


class CameraIntrinsics(StrictModel):
    width: Annotated[int, Field(gt=0)]
    height: Annotated[int, Field(gt=0)]
    fx: Positive
    fy: Positive
    cx: float
    cy: float
    distortion_model: Literal["plumb_bob", "none"] = "none"
    distortion: Annotated[list[float], Field(max_length=8)] = []


class CameraConfig(SensorBase):
    kind: Literal["camera"]
    intrinsics: CameraIntrinsics
    max_range_m: Positive = 80.0
    detection_probability: Probability = 0.9
    box_noise_px: NonNegative = 3.0
    false_positives_per_frame: NonNegative = 0.2
    min_box_height_px: NonNegative = 10.0
    min_visible_fraction: Probability = 0.3          # share of the silhouette not occluded, for a detection
    class_confusion_probability: Probability = 0.02  # a detection reports another class


class RadarConfig(SensorBase):
    kind: Literal["radar"]
    fov_azimuth_deg: Annotated[float, Field(gt=0.0, le=360.0)] = 120.0
    fov_elevation_deg: Annotated[float, Field(gt=0.0, le=180.0)] = 20.0
    min_range_m: NonNegative = 0.5
    max_range_m: Positive = 150.0
    range_std_m: NonNegative = 0.25
    azimuth_std_deg: NonNegative = 0.5
    elevation_std_deg: NonNegative = 1.0
    range_rate_std_mps: NonNegative = 0.1
    rcs_std_dbsm: NonNegative = 2.0
    detection_probability: Probability = 0.85
    clutter_per_scan: NonNegative = 4.0
    min_visible_fraction: Probability = 0.3          # share of the silhouette not occluded, for returns


class LidarConfig(SensorBase):
    kind: Literal["lidar"]
    channels: Annotated[int, Field(ge=1, le=256)] = 32
    vertical_fov_deg: Annotated[list[float], Field(min_length=2, max_length=2)] = [-25.0, 15.0]
    horizontal_resolution_deg: Annotated[float, Field(gt=0.0, le=10.0)] = 0.4
    min_range_m: NonNegative = 1.0
    max_range_m: Positive = 100.0
    range_std_m: NonNegative = 0.02
    dropout_probability: Probability = 0.02
    box_detection_probability: Probability = 0.95
    box_center_std_m: NonNegative = 0.15
    box_yaw_std_deg: NonNegative = 3.0
    box_size_std_m: NonNegative = 0.1
    box_min_points: Annotated[int, Field(ge=1)] = 5
    box_false_positives_per_frame: NonNegative = 0.1


class ImuConfig(SensorBase):
    """Noise as a datasheet states it: white-noise densities and bias instabilities (see configs/vehicle.yaml)."""

    kind: Literal["imu"]
    gyro_noise_density: NonNegative = 1.7e-4        # rad/s/sqrt(Hz)
    accel_noise_density: NonNegative = 1.2e-3       # m/s^2/sqrt(Hz)
    gyro_bias_instability: NonNegative = 2.4e-5     # rad/s
    accel_bias_instability: NonNegative = 3.9e-4    # m/s^2
    gyro_bias_correlation_s: Positive = 300.0
    accel_bias_correlation_s: Positive = 300.0
    gyro_bias_turn_on: NonNegative = 1.7e-3         # rad/s, std of the bias at power-on (0.1 deg/s)
    accel_bias_turn_on: NonNegative = 2.0e-2        # m/s^2, std of the bias at power-on (2 mg)


class GnssConfig(SensorBase):
    kind: Literal["gnss"]
    horizontal_std_m: NonNegative = 1.5
    vertical_std_m: NonNegative = 3.0
    velocity_std_mps: NonNegative = 0.1
    outlier_probability: Probability = 0.01
    outlier_magnitude_m: NonNegative = 25.0
    reports_velocity: bool = False                  # the fix carries an ENU velocity (e.g. from Doppler)


SensorConfig = Annotated[
    Union[CameraConfig, RadarConfig, LidarConfig, ImuConfig, GnssConfig], Field(discriminator="kind")
]


class WheelSpeedConfig(StrictModel):
    """The vehicle bus's wheel speed: base_link's forward speed (the rear-axle centre), published as
    TwistWithCovarianceStamped in the base frame. The simulator draws it with these figures; the
    ego estimator weighs it with the noise the messages carry (configs/ego.yaml `wheel` otherwise)."""

    enabled: bool = False                            # a vehicle config without this section has none
    rate_hz: Annotated[float, Field(gt=0.0, le=1000.0)] = 50.0
    latency_s: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0
    noise_std_mps: NonNegative = 0.05
    scale_error: Annotated[float, Field(ge=-0.1, le=0.1)] = 0.0   # (effective / nominal tyre radius) - 1


class VehicleBody(StrictModel):
    name: str = "taishan_vehicle"
    base_frame: str = "base_link"
    length_m: Positive = 4.7
    width_m: Positive = 1.9
    height_m: Positive = 1.5
    wheelbase_m: Positive = 2.8


class VehicleConfig(StrictModel):
    vehicle: VehicleBody
    sensors: dict[str, SensorConfig]
    wheel_speed: WheelSpeedConfig = WheelSpeedConfig()

    def semantic_problems(self) -> list[tuple[str, str]]:
        problems = []
        frames = {self.vehicle.base_frame}
        owners: dict[str, str] = {}
        for name, sensor in self.sensors.items():
            if sensor.frame_id in owners or sensor.frame_id == self.vehicle.base_frame:
                problems.append((f"sensors.{name}.frame_id", f"frame {sensor.frame_id!r} is already used by {owners.get(sensor.frame_id, 'the vehicle')!r}"))
            owners[sensor.frame_id] = name
            frames.add(sensor.frame_id)
        for name, sensor in self.sensors.items():
            if sensor.mount.parent_frame not in frames:
                problems.append((f"sensors.{name}.mount.parent_frame",
                                 f"unknown frame {sensor.mount.parent_frame!r} (expected {self.vehicle.base_frame!r} or a sensor frame: {', '.join(sorted(frames))})"))
            if isinstance(sensor, (RadarConfig, LidarConfig)) and sensor.min_range_m >= sensor.max_range_m:
                problems.append((f"sensors.{name}.min_range_m", f"must be below max_range_m ({sensor.max_range_m})"))
            if isinstance(sensor, LidarConfig) and sensor.vertical_fov_deg[0] >= sensor.vertical_fov_deg[1]:
                problems.append((f"sensors.{name}.vertical_fov_deg", "must be [lowest, highest] angle with lowest < highest"))
            if isinstance(sensor, CameraConfig) and sensor.intrinsics.distortion_model == "plumb_bob" and len(sensor.intrinsics.distortion) != 5:
                problems.append((f"sensors.{name}.intrinsics.distortion", "plumb_bob needs 5 coefficients k1 k2 t1 t2 k3"))
        return problems

    def transform_tree(self) -> TransformTree:
        """A tree holding base_link -> sensor extrinsics (dynamic map -> base_link is added by the ego estimator)."""
        tree = TransformTree()
        for sensor in self.sensors.values():
            tree.set_static(sensor.mount.parent_frame, sensor.frame_id, sensor.mount.transform())
        return tree

    def sensors_of_kind(self, kind: str) -> dict[str, SensorConfig]:
        return {name: s for name, s in self.sensors.items() if s.kind == kind and s.enabled}

    def sensor_by_frame(self, frame_id: str) -> tuple[str, SensorConfig]:
        for name, s in self.sensors.items():
            if s.frame_id == frame_id:
                return name, s
        from fusion.core.errors import UnknownFrameError

        raise UnknownFrameError(f"frame {frame_id!r}", f"no sensor of vehicle {self.vehicle.name!r} has this frame (known: {', '.join(s.frame_id for s in self.sensors.values())})")
