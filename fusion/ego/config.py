"""Schema of configs/ego.yaml: the ego estimator's parameters (sensor noise comes from the vehicle config)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from fusion.config.loader import StrictModel, config_dir, load_config

Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class OriginConfig(StrictModel):
    """Where the map frame is anchored: the first GNSS fix, or a configured WGS-84 point."""

    source: Literal["first_fix", "configured"] = "first_fix"
    latitude_deg: Annotated[float, Field(ge=-90.0, le=90.0)] = 0.0
    longitude_deg: Annotated[float, Field(ge=-180.0, le=180.0)] = 0.0
    altitude_m: float = 0.0


class ImuHandling(StrictModel):
    noise_scale: Positive = 1.0           # multiplies the vehicle config's IMU noise densities
    covariance_period_s: Annotated[float, Field(gt=0.0, le=0.2)] = 0.05  # covariance propagated in blocks this long
    gap_factor: Positive = 1.5            # a step longer than this many nominal periods counts as a gap
    max_gap_s: Positive = 0.2             # longer gaps are bridged without IMU data (coasting)
    reset_gap_s: Positive = 5.0           # after this long without IMU data the estimator aligns afresh
    coast_accel_std_mps2: Positive = 3.0  # assumed unknown acceleration while coasting
    coast_yaw_rate_std_rad_s: Positive = 0.3


class GnssHandling(StrictModel):
    use_velocity: bool = True                        # fuse the fix's ENU velocity when it has one
    unknown_covariance_std_m: Positive = 5.0         # for fixes with covariance type UNKNOWN
    min_std_m: Positive = 0.05                       # floor under reported covariances
    gate_probability: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.999
    max_delay_s: Positive = 0.5                      # older fixes (behind the IMU) are dropped
    reinit_after_rejections: Annotated[int, Field(ge=3)] = 20


class WheelHandling(StrictModel):
    enabled: bool = True
    default_std_mps: Positive = 0.1                  # when a message carries no std
    scale_std: NonNegative = 0.005                   # tyre-radius uncertainty, relative (adds scale_std * speed)
    max_rate_hz: Positive = 10.0                     # fuse at most this often (faster input only refreshes standstill)
    standstill_mps: NonNegative = 0.01               # |speed| at or below this means standing still


class NhcConfig(StrictModel):
    """Non-holonomic constraint: base_link (rear axle) moves neither sideways nor up."""

    enabled: bool = True
    lateral_std_mps: Positive = 0.1
    vertical_std_mps: Positive = 0.1
    rate_hz: Positive = 10.0                         # when no wheel speed brings it along


class ZuptConfig(StrictModel):
    """Zero-velocity and zero-angular-rate updates while standing still."""

    enabled: bool = True
    velocity_std_mps: Positive = 0.02
    rate_hz: Positive = 10.0
    use_imu_detector: bool = False                   # also detect standstill from a quiet IMU (no wheel speed)
    imu_detector_max_speed_mps: Positive = 1.0       # ... only while the estimated speed is below this


class InitConfig(StrictModel):
    static_window_s: Positive = 1.0                  # quiet IMU time averaged for roll, pitch and gyro bias
    max_wait_s: Positive = 5.0                       # then align with what there is (looser covariance)
    quiet_gyro_rad_s: Positive = 0.02                # IMU quiet test thresholds (std over the window)
    quiet_accel_mps2: Positive = 0.2
    heading_source: Literal["gnss", "configured"] = "gnss"
    heading_deg: float = 0.0                         # used with heading_source: configured (ENU, from east, CCW)
    heading_baseline_m: Positive = 15.0              # GNSS track length that gives the first heading
    heading_baseline_max_s: Positive = 6.0
    velocity_std_mps: Positive = 1.0
    roll_pitch_std_deg: Positive = 2.0
    configured_heading_std_deg: Positive = 5.0


class ConvergenceConfig(StrictModel):
    position_std_m: Positive = 1.0
    heading_std_deg: Positive = 1.0


class EgoConfig(StrictModel):
    map_frame: str = Field(default="map", min_length=1)
    imu_sensor: str = Field(default="imu", min_length=1)    # names in the vehicle config's `sensors`
    gnss_sensor: str = Field(default="gnss", min_length=1)
    earth_rotation: bool = True
    history_s: Positive = 10.0                       # how far back pose_at can look
    max_extrapolation_s: NonNegative = 0.2           # how far past the newest IMU sample pose_at may predict
    origin: OriginConfig = OriginConfig()
    imu: ImuHandling = ImuHandling()
    gnss: GnssHandling = GnssHandling()
    wheel: WheelHandling = WheelHandling()
    nhc: NhcConfig = NhcConfig()
    zupt: ZuptConfig = ZuptConfig()
    init: InitConfig = InitConfig()
    convergence: ConvergenceConfig = ConvergenceConfig()

    def semantic_problems(self) -> list[tuple[str, str]]:
        problems = []
        if self.init.static_window_s > self.init.max_wait_s:
            problems.append(("init.static_window_s", f"must not exceed init.max_wait_s ({self.init.max_wait_s})"))
        return problems


def load_ego_config(path: str | None = None) -> EgoConfig:
    """configs/ego.yaml (or `path`), validated."""
    return load_config(path or config_dir() / "ego.yaml", EgoConfig)
