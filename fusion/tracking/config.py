"""The tracker config (configs/tracker.yaml): motion model and process noise, filter, association,
per-sensor-kind measurement policy, track management and timing.

Noise figures of the sensors themselves (centre, yaw, range, azimuth, pixel noise, detection
probabilities, fields of view) come from the vehicle config; this file holds what is a tracking
choice. Every field is documented where it is defined; configs/tracker.yaml repeats the defaults.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from fusion.config.loader import StrictModel, config_dir, load_config
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError

Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
OpenProbability = Annotated[float, Field(gt=0.0, lt=1.0)]


class MotionConfig(StrictModel):
    """Motion model and its process noise, as power spectral densities (PSD) of continuous white noise
    driving the highest modelled derivative; the discrete Q integrates it over the step dt.

    - `cv`: constant velocity, state x y z vx vy vz yaw yaw_rate; white acceleration (`accel_psd`
      horizontal, `vertical_psd` vertical) and white yaw acceleration (`yaw_accel_psd`).
    - `ca`: constant acceleration in the ground plane (x y z vx vy vz ax ay yaw yaw_rate); white jerk
      `jerk_psd` horizontal, constant vertical velocity with `vertical_psd`.
    - `ctrv`: constant turn rate and velocity, state x y z v yaw yaw_rate vz; white longitudinal
      acceleration `accel_psd` along the heading and white yaw acceleration `yaw_accel_psd`.
    - `imm`: interacting multiple models over the CTRV state: a constant-heading (CV) mode and the
      CTRV mode, switching at `imm_switch_rate_hz` (continuous-time Markov chain).
    - `static`: no motion model (position and yaw random walks, `static_position_psd`,
      `static_yaw_psd`); the baseline that matches detections by position only.
    """

    model: Literal["cv", "ca", "ctrv", "imm", "static"] = "cv"
    accel_psd: Positive = 2.0            # m^2/s^3
    vertical_psd: Positive = 0.05        # m^2/s^3
    jerk_psd: Positive = 4.0             # m^2/s^5
    yaw_accel_psd: Positive = 0.5        # rad^2/s^3
    static_position_psd: Positive = 4.0  # m^2/s
    static_yaw_psd: Positive = 0.5       # rad^2/s
    imm_switch_rate_hz: Positive = 0.5   # rate of leaving each mode
    imm_initial_turn_probability: OpenProbability = 0.2


class FilterConfig(StrictModel):
    """`kf` (linear models only: cv/ca/static with lidar boxes), `ekf`, or `ukf` (scaled sigma points,
    van der Merwe; alpha 1, beta 2, kappa 0 gives 2n equally weighted points and a non-negative
    covariance weight for the centre point)."""

    kind: Literal["kf", "ekf", "ukf"] = "ekf"
    ukf_alpha: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    ukf_beta: NonNegative = 2.0
    ukf_kappa: float = 0.0


class InitialConfig(StrictModel):
    """Prior standard deviations of what a first detection does not measure."""

    velocity_std_mps: Positive = 6.0
    vertical_velocity_std_mps: Positive = 0.3
    acceleration_std_mps2: Positive = 2.0
    yaw_rate_std_rps: Positive = 0.5
    size_m: Annotated[list[Annotated[float, Field(gt=0.0)]], Field(min_length=3, max_length=3)] = [1.5, 1.0, 1.5]
    size_std_m: Positive = 2.0           # l w h of tracks started by a sensor that does not measure size (radar)


class SensorTracking(StrictModel):
    """Tracking policy of one sensor kind (the noise is the vehicle config's)."""

    enabled: bool = True
    initiate: bool = False               # unassigned detections start tentative tracks
    cost: Literal["mahalanobis", "geometric"] = "mahalanobis"
    geometric: Literal["none", "iou_3d", "giou_3d", "center_distance", "iou_2d"] = "none"
    geometric_threshold: float = 0.0     # min IoU / GIoU, or max centre distance [m]
    pregate_radius: Positive = 10.0      # coarse spatial gate: metres (lidar, radar) or pixels (camera)
    hit_likelihood_ratio: Annotated[float, Field(gt=1.0)] = 5.0   # existence evidence of one detection
    class_confidence: OpenProbability = 0.8  # probability that the detection's class label is right
    miss_evidence: Probability = 0.5     # share of the sensor's detection probability a miss counts with
    min_score: float = -1.0e9            # detections scoring below are dropped (counted)
    # 'single': every unassigned detection starts a track; 'two_point': only one within reach of another
    # unassigned detection, of an earlier scan or close by in the same scan (fusion.tracking.initiation),
    # which keeps clutter out
    initiation: Literal["single", "two_point"] = "single"
    initiation_window_s: Positive = 0.15     # how long an unassigned detection waits for its second
    initiation_radius_m: Positive = 2.5      # reach between the two: this radius ...
    initiation_speed_mps: NonNegative = 40.0  # ... plus this speed times the time between them


class LidarTracking(SensorTracking):
    initiate: bool = True
    heading_ambiguous: bool = False      # detector may report yaw + pi: yaw residuals wrap at pi
    hit_likelihood_ratio: Annotated[float, Field(gt=1.0)] = 10.0
    miss_evidence: Probability = 0.8


class RadarTracking(SensorTracking):
    initiate: bool = True                # radar sees beyond the lidar: its returns start tracks too
    initiation: Literal["single", "two_point"] = "two_point"   # radar clutter moves from scan to scan
    extent_std_m: NonNegative = 0.8      # where on the object the return comes from, added to range and cross-range
    cluster_radius_m: Positive = 2.5     # unassigned returns closer than this start one track together
    object_speed_mps: NonNegative = 5.0  # typical object speed in the range-rate spread of extended objects
    class_confidence: OpenProbability = 0.5
    # typical radar cross-section per class [dBsm] (cars ~10, cyclists ~2, pedestrians ~-5 at 77 GHz);
    # a return takes the nearest class if within rcs_class_gate sigma (sensor rcs_std_dbsm and rcs_spread_db)
    rcs_class_dbsm: dict[str, float] = {"car": 10.0, "bicycle": 2.0, "pedestrian": -5.0}
    rcs_spread_db: NonNegative = 2.0
    rcs_class_gate: Positive = 2.0
    pregate_radius: Positive = 6.0
    hit_likelihood_ratio: Annotated[float, Field(gt=1.0)] = 2.0


class CameraTracking(SensorTracking):
    geometric: Literal["none", "iou_3d", "giou_3d", "center_distance", "iou_2d"] = "iou_2d"
    geometric_threshold: float = 0.1     # a bearing alone cannot tell near from far: boxes must overlap
    center_model_std_px: NonNegative = 8.0   # 2D box centre vs projected 3D centre, added to the pixel noise
    border_margin_px: NonNegative = 30.0     # tracks projecting closer to the image border do not count a miss
    pregate_radius: Positive = 150.0
    hit_likelihood_ratio: Annotated[float, Field(gt=1.0)] = 3.0
    class_confidence: OpenProbability = 0.9


class SensorsTracking(StrictModel):
    lidar: LidarTracking = LidarTracking()
    radar: RadarTracking = RadarTracking()
    camera: CameraTracking = CameraTracking()


class AssociationConfig(StrictModel):
    """Gating and assignment. A detection of class c may only update a track whose most probable class
    is in the same group as c; `unknown` on either side matches anything when unknown_matches_any."""

    method: Literal["gnn", "greedy"] = "gnn"
    gate_probability: Annotated[float, Field(gt=0.0, le=1.0)] = 0.997   # chi-square gate; 1.0 disables it
    class_groups: dict[str, list[str]] = {
        "vehicle": ["car", "truck", "bus", "trailer"],
        "two_wheeler": ["bicycle", "motorcycle"],
        "pedestrian": ["pedestrian"],
    }
    unknown_matches_any: bool = True


class ManagementConfig(StrictModel):
    """Track life cycle. Tentative -> confirmed after `confirm_hits` hits among the last
    `confirm_window` sensor updates that could see the track; confirmed -> coasting on a miss, back on a
    hit. Deleted when: no hit for `max_coast_s` (confirmed) or `tentative_max_misses` consecutive
    misses / `tentative_max_age_s` unconfirmed (tentative); existence below `existence_delete`;
    position standard deviation above `max_position_std_m`; or, of two tracks whose boxes overlap by
    more than `duplicate_iou` (3D IoU: real objects cannot share space), the younger (checked after
    each batch of a box-measuring sensor, the lidar). An unassigned
    detection overlapping a track that much starts no track: it is that track's, and a full box (lidar)
    restarts the track's state there (the track had drifted off its object).

    Existence: predicted with survival `existence_survival_per_s` per second; a miss by a sensor with
    detection probability Pd gives p(1-Pd)/(1-p Pd), where Pd is the vehicle config's figure times the
    sensor kind's `miss_evidence` (its field-of-view check does not know occlusion or truncation, so a
    miss is weaker evidence than Pd says); a hit multiplies the odds by the kind's hit_likelihood_ratio. Class probabilities: Bayes update with the detection's class confusion model,
    then `class_forgetting` of the mass is spread uniformly so a wrong start can be overturned.
    Box size: one scalar Kalman filter per dimension with random-walk noise `size_psd`."""

    confirm_hits: Annotated[int, Field(ge=1, le=32)] = 4
    confirm_window: Annotated[int, Field(ge=1, le=32)] = 5
    max_coast_s: Positive = 1.5
    tentative_max_misses: Annotated[int, Field(ge=1)] = 3
    tentative_max_age_s: Positive = 2.0
    existence_initial: OpenProbability = 0.4
    existence_survival_per_s: Annotated[float, Field(gt=0.0, le=1.0)] = 0.95
    existence_delete: Probability = 0.02
    max_position_std_m: Positive = 8.0
    duplicate_iou: Annotated[float, Field(gt=0.0, le=1.0)] = 0.3   # 1.0 switches both checks off
    class_forgetting: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.02
    size_psd: NonNegative = 0.01         # m^2/s
    output_tentative: bool = False


class TimingConfig(StrictModel):
    """Measurements are held `reorder_window_s` behind the newest stamp seen and released in stamp order;
    one older than what was already released is rejected (counted, with the reason)."""

    reorder_window_s: NonNegative = 0.1


class TrackerConfig(StrictModel):
    frame_id: str = Field(default="map", min_length=1)   # fixed tracking frame, z up (REP 103)
    motion: MotionConfig = MotionConfig()
    filter: FilterConfig = FilterConfig()
    initial: InitialConfig = InitialConfig()
    sensors: SensorsTracking = SensorsTracking()
    association: AssociationConfig = AssociationConfig()
    management: ManagementConfig = ManagementConfig()
    timing: TimingConfig = TimingConfig()

    def semantic_problems(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        model, kind = self.motion.model, self.filter.kind
        if kind == "kf" and model in ("ctrv", "imm"):
            problems.append(("filter.kind", f"kf needs a linear motion model (cv, ca, static), not {model!r}; use ekf or ukf"))
        for name in ("radar", "camera"):
            if kind == "kf" and getattr(self.sensors, name).enabled:
                problems.append((f"sensors.{name}.enabled", f"the {name} measurement model is nonlinear: disable it or use filter.kind ekf/ukf"))
        if self.management.confirm_hits > self.management.confirm_window:
            problems.append(("management.confirm_hits", f"must not exceed confirm_window ({self.management.confirm_window})"))
        if self.sensors.camera.initiate:
            problems.append(("sensors.camera.initiate", "a 2D detection has no depth and cannot start a 3D track"))
        allowed = {"lidar": ("none", "iou_3d", "giou_3d", "center_distance"), "radar": ("none", "center_distance"),
                   "camera": ("none", "iou_2d")}
        for name, kinds in allowed.items():
            settings = getattr(self.sensors, name)
            if settings.geometric not in kinds:
                problems.append((f"sensors.{name}.geometric", f"must be one of {', '.join(kinds)} for {name}"))
            if settings.cost == "geometric" and settings.geometric == "none":
                problems.append((f"sensors.{name}.cost", f"geometric cost needs a geometric measure (set sensors.{name}.geometric)"))
        for name in self.sensors.radar.rcs_class_dbsm:
            try:
                ObjectClass.parse(name)
            except InputError as exc:
                problems.append((f"sensors.radar.rcs_class_dbsm.{name}", exc.reason))
        seen: dict[ObjectClass, str] = {}
        for group, names in self.association.class_groups.items():
            for i, name in enumerate(names):
                try:
                    cls = ObjectClass.parse(name)
                except InputError as exc:
                    problems.append((f"association.class_groups.{group}[{i}]", exc.reason))
                    continue
                if cls in seen:
                    problems.append((f"association.class_groups.{group}[{i}]", f"{name!r} is already in group {seen[cls]!r}"))
                seen[cls] = group
        return problems


def default_tracker_path() -> Path:
    return config_dir() / "tracker.yaml"


def load_tracker_config(path: str | Path | None = None) -> TrackerConfig:
    """The tracker config at `path` (default: the shipped configs/tracker.yaml)."""
    return load_config(path or default_tracker_path(), TrackerConfig)
