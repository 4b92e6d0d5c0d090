"""The scenario config: seed, duration, map origin, road layout, traffic, ego drive and GNSS outages.

A ROS 2 params file like every Taishan config (configs/scenario.yaml); lists hold one scalar type,
so GNSS outage windows are two parallel lists rather than a list of mappings.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from fusion.config.loader import StrictModel, config_dir, load_config

Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
SpeedRange = Annotated[list[Annotated[float, Field(ge=0.0)]], Field(min_length=2, max_length=2)]
Count = Annotated[int, Field(ge=0, le=1000)]


class _Section(StrictModel):
    """A strict config section that also rejects .nan and .inf."""

    model_config = ConfigDict(**StrictModel.model_config, allow_inf_nan=False)


class OriginConfig(_Section):
    """WGS-84 position of the map frame's origin (map is ENU: x east, y north, z up)."""

    latitude_deg: Annotated[float, Field(ge=-90.0, le=90.0)] = 51.9990    # Delft, TU campus
    longitude_deg: Annotated[float, Field(ge=-180.0, le=180.0)] = 4.3737
    altitude_m: float = 45.0                                               # ellipsoidal height


class RoadConfig(_Section):
    """A main road along map x (from x = 0 to length_m) crossed by a side road along y at crossing_x_m.

    Each road has lanes in both directions (right-hand traffic), a cycle lane and a sidewalk on each
    side; a traffic signal gives the main road `main_green_s`, then the side road `side_green_s`,
    with `clearance_s` of all-red between the phases.
    """

    length_m: Annotated[float, Field(ge=100.0, le=5000.0)] = 600.0
    lanes_per_direction: Annotated[int, Field(ge=1, le=4)] = 2
    lane_width_m: Annotated[float, Field(ge=2.5, le=5.0)] = 3.5
    cycle_lane_width_m: Annotated[float, Field(ge=1.0, le=4.0)] = 1.8
    sidewalk_width_m: Annotated[float, Field(ge=1.5, le=8.0)] = 3.0
    crossing_x_m: Positive = 300.0
    crossing_length_m: Annotated[float, Field(ge=60.0, le=5000.0)] = 300.0
    crossing_lanes_per_direction: Annotated[int, Field(ge=1, le=4)] = 1
    main_green_s: Positive = 18.0
    side_green_s: Positive = 14.0
    clearance_s: NonNegative = 2.0
    signal_offset_s: NonNegative = 14.0


class TrafficConfig(_Section):
    """Road users: how many of each class, how they move. `initial_fraction` of them are on the roads
    at the start; the others enter at the road ends at random times during the scenario."""

    cars: Count = 24
    pedestrians: Count = 16
    cyclists: Count = 6
    initial_fraction: Probability = 0.7
    turn_probability: Probability = 0.3
    lane_change_probability: Probability = 0.3
    stop_probability: Probability = 0.15
    stop_duration_s: SpeedRange = [3.0, 8.0]
    car_speed_mps: SpeedRange = [9.0, 14.0]
    cyclist_speed_mps: SpeedRange = [4.0, 6.5]
    pedestrian_speed_mps: SpeedRange = [1.1, 1.7]


class EgoConfig(_Section):
    """The ego drive on the main road, eastwards: straight on, one lane change, or a right turn at the crossing.
    The ego stands still for `standstill_s` first (so an ego estimator can level itself), then drives."""

    route: Literal["straight", "lane_change", "turn_right"] = "lane_change"
    lane: Annotated[int, Field(ge=0)] = 0          # 0 = rightmost lane
    start_x_m: NonNegative = 150.0
    speed_mps: Annotated[float, Field(gt=0.0, le=40.0)] = 12.0
    standstill_s: NonNegative = 2.0


class GnssOutageConfig(_Section):
    """Windows without GNSS fixes (tunnels, urban canyons), as seconds after the scenario start."""

    start_s: list[Annotated[float, Field(ge=0.0)]] = [24.0]
    duration_s: list[Annotated[float, Field(gt=0.0)]] = [6.0]


class ScenarioConfig(_Section):
    seed: Annotated[int, Field(ge=0)] = 7
    duration_s: Annotated[float, Field(gt=0.0, le=3600.0)] = 40.0
    start_time_s: Annotated[int, Field(ge=0)] = 1_700_000_000   # ROS time of the first stamp
    truth_rate_hz: Annotated[float, Field(gt=0.0, le=100.0)] = 10.0
    lidar_points: bool = False                                  # ray-cast point clouds (costly); boxes are always made
    earth_rotation: bool = False                                # the IMU senses the Earth's rotation (15 deg/h)
    origin: OriginConfig = OriginConfig()
    road: RoadConfig = RoadConfig()
    traffic: TrafficConfig = TrafficConfig()
    ego: EgoConfig = EgoConfig()
    gnss_outages: GnssOutageConfig = GnssOutageConfig()

    def semantic_problems(self) -> list[tuple[str, str]]:
        problems = []
        road, ego, traffic = self.road, self.ego, self.traffic
        margin = road.crossing_lanes_per_direction * road.lane_width_m + road.cycle_lane_width_m + road.sidewalk_width_m + 30.0
        if not margin <= road.crossing_x_m <= road.length_m - margin:
            problems.append(("road.crossing_x_m", f"must leave {margin:.0f} m of main road on both sides (0..{road.length_m})"))
        if ego.lane >= road.lanes_per_direction:
            problems.append(("ego.lane", f"must be below road.lanes_per_direction ({road.lanes_per_direction})"))
        if ego.start_x_m > road.length_m - 50.0:
            problems.append(("ego.start_x_m", f"must leave at least 50 m of road ahead (road.length_m is {road.length_m})"))
        if ego.route == "turn_right" and ego.lane != 0:
            problems.append(("ego.lane", "a right turn starts from the rightmost lane, 0"))
        if ego.route == "turn_right" and ego.start_x_m > road.crossing_x_m - 40.0:
            problems.append(("ego.start_x_m", f"a right turn needs a start at least 40 m before the crossing at {road.crossing_x_m}"))
        for name in ("car_speed_mps", "cyclist_speed_mps", "pedestrian_speed_mps", "stop_duration_s"):
            low, high = getattr(traffic, name)
            if low > high:
                problems.append((f"traffic.{name}", f"must be [lowest, highest], got [{low}, {high}]"))
        for name in ("car_speed_mps", "cyclist_speed_mps", "pedestrian_speed_mps"):
            if getattr(traffic, name)[1] <= 0.0:
                problems.append((f"traffic.{name}", "the highest speed must be positive"))
        if len(self.gnss_outages.start_s) != len(self.gnss_outages.duration_s):
            problems.append(("gnss_outages.duration_s", f"needs one duration per start ({len(self.gnss_outages.start_s)})"))
        return problems

    def outage_windows_s(self) -> list[tuple[float, float]]:
        """GNSS outages as (begin, end) seconds after the start."""
        return [(s, s + d) for s, d in zip(self.gnss_outages.start_s, self.gnss_outages.duration_s)]


def default_scenario_path() -> Path:
    return config_dir() / "scenario.yaml"


def load_scenario_config(path: str | Path | None = None) -> ScenarioConfig:
    """The scenario config at `path` (default: the shipped configs/scenario.yaml)."""
    return load_config(path or default_scenario_path(), ScenarioConfig)
