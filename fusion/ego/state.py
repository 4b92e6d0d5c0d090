"""What the ego estimator reports: odometry (nav_msgs/Odometry semantics) and its diagnostics."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from fusion.core.transform import Transform


@dataclass
class Odometry:
    """nav_msgs/Odometry: pose of child_frame_id in frame_id with a 6x6 covariance over
    (x, y, z, rotation about x, y, z of frame_id), twist in child_frame_id axes with a 6x6
    covariance over (vx, vy, vz, wx, wy, wz)."""

    stamp_ns: int
    frame_id: str
    child_frame_id: str
    position: np.ndarray
    orientation: np.ndarray            # quaternion x, y, z, w
    pose_covariance: np.ndarray
    linear_velocity: np.ndarray
    angular_velocity: np.ndarray
    twist_covariance: np.ndarray

    def transform(self) -> Transform:
        """T_frame_child (map -> base_link)."""
        return Transform(self.position, self.orientation)


@dataclass
class EgoState:
    """The estimate at one stamp with the filter's own view of its quality."""

    odometry: Odometry
    accel_bias: np.ndarray             # base_link axes [m/s^2]
    gyro_bias: np.ndarray              # base_link axes [rad/s]
    position_std_m: float              # largest horizontal standard deviation
    heading_std_deg: float
    initialised: bool
    converged: bool


@dataclass
class EgoDiagnostics:
    """Counts of everything the estimator did with its input, and the recent notable events."""

    imu_samples: int = 0
    imu_duplicates: int = 0
    imu_out_of_order: int = 0
    imu_gaps: int = 0
    imu_coasted_s: float = 0.0
    gnss_fixes: int = 0
    gnss_no_fix: int = 0
    gnss_rejected: int = 0
    gnss_velocity_rejected: int = 0
    gnss_too_old: int = 0
    wheel_updates: int = 0
    nhc_updates: int = 0
    zupt_updates: int = 0
    unknown_sources: int = 0
    reinitialisations: int = 0
    numerical_resets: int = 0
    events: list[tuple[int, str]] = field(default_factory=list)
    max_events: int = 200

    def event(self, stamp_ns: int, message: str) -> None:
        self.events.append((int(stamp_ns), message))
        if len(self.events) > self.max_events:
            del self.events[: len(self.events) - self.max_events]

    def counts(self) -> dict[str, float]:
        """The counters, for JSON reports (events left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("events", "max_events")}
